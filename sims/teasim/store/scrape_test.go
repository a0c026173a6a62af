package store

import (
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/perflab/perflab/lib/golden"
)

// lines is a page as TeaStore's HTTP Load Generator sees it (its Lua
// html.* helpers): split at "\n", each line trimmed; a regex must match a
// whole line (Java's String.matches).
type lines []string

func linesOf(page string) lines {
	ls := strings.Split(page, "\n")
	for i := range ls {
		ls[i] = strings.TrimSpace(ls[i])
	}
	return ls
}

// getMatches: every line the regex matches whole.
func (ls lines) getMatches(re string) []string {
	whole := regexp.MustCompile(`^(?:` + re + `)$`)
	var out []string
	for _, l := range ls {
		if whole.MatchString(l) {
			out = append(out, l)
		}
	}
	return out
}

// extractMatches: in every line matching .*prefix match postfix.*, the
// text between the first prefix match's end and the first postfix match
// after it.
func (ls lines) extractMatches(prefix, match, postfix string) []string {
	pre, post := regexp.MustCompile(prefix), regexp.MustCompile(postfix)
	var out []string
	for _, l := range ls.getMatches(".*" + prefix + match + postfix + ".*") {
		if loc := pre.FindStringIndex(l); loc != nil {
			l = l[loc[1]:]
		}
		if loc := post.FindStringIndex(l); loc != nil {
			l = l[:loc[0]]
		}
		out = append(out, l)
	}
	return out
}

// The extraction rules of TeaStore's own load profiles
// (examples/httploadgenerator/teastore_browse.lua and teastore_buy.lua).
const (
	luaCategoryPrefix, luaCategoryPostfix = "href=.*category.*?category=", "&page=1."
	luaProductPrefix, luaProductPostfix   = "href=.*product.*?id=", ". ><img"
	luaPageLine                           = `.*href=.*category.*?category=\d+&page=\d+.>\d+</a></li>.*`
)

// The JMeter plan's regular expression extractors (examples/jmeter/teastore_browse*.jmx).
var (
	jmeterCategory = regexp.MustCompile(`category=([0-9]*)`)
	jmeterProduct  = regexp.MustCompile(`<input type='hidden' name="productid" value="([0-9]*)">`)
	jmeterPage     = regexp.MustCompile(`page=([0-9]*)">[0-9]*<`)
)

func atoi(ss []string) []int {
	var out []int
	for _, s := range ss {
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil
		}
		out = append(out, n)
	}
	return out
}

// The browse profile, step by step as its onCall does, against teasim's
// pages: every extraction finds what the real store's pages give it.
func TestLoadGeneratorProfileExtractions(t *testing.T) {
	t.Parallel()
	c := newClient()
	c.follow(t, "GET", "/", "")
	login := linesOf(string(c.follow(t, "GET", "/login", "").Body()))
	cats := atoi(login.extractMatches(luaCategoryPrefix, `\d+`, luaCategoryPostfix))
	if !slices.Equal(cats, []int{2, 3, 4, 5, 6}) {
		t.Fatalf("category ids from the login page: %v, want 2–6", cats)
	}
	c.follow(t, "POST", "/loginAction?username=user3&password=password", "")
	// call 4: [POST] category?page=1&category=C&number=30, its answer read in call 5
	page := linesOf(string(c.follow(t, "POST", "/category?page=1&category=4&number=30", "").Body()))
	prods := atoi(page.extractMatches(luaProductPrefix, `\d+`, luaProductPostfix))
	want := []int{}
	for id := 207; id < 237; id++ {
		want = append(want, id)
	}
	if !slices.Equal(prods, want) {
		t.Fatalf("product ids from category 4 at 30 a page: %v, want 207–236", prods)
	}
	if n := len(page.getMatches(luaPageLine)); n != 4 {
		t.Fatalf("page count %d, want 4 (100 products, 30 a page)", n)
	}
	for _, call := range []string{"/product?id=207", "/cartAction?addToCart=&productid=207", "/category?page=1&category=4", "/category?page=3&category=4"} {
		method := "GET"
		if strings.Contains(call, "cartAction") {
			method = "POST"
		}
		r := c.follow(t, method, call, "")
		if r.StatusCode() != 200 {
			t.Fatalf("%s %s: %d", method, call, r.StatusCode())
		}
		if strings.Contains(call, "page=3") {
			if prods := atoi(linesOf(string(r.Body())).extractMatches(luaProductPrefix, `\d+`, luaProductPostfix)); len(prods) != 30 || prods[0] != 267 {
				t.Fatalf("page 3: %v, want 30 products from 267", prods)
			}
		}
	}
}

// The JMeter plan's extractors find the categories, products and pages.
func TestJMeterExtractions(t *testing.T) {
	t.Parallel()
	c := newClient()
	home := string(c.follow(t, "GET", "/", "").Body())
	var cats []string
	for _, m := range jmeterCategory.FindAllStringSubmatch(home, -1) {
		cats = append(cats, m[1])
	}
	if !slices.Equal(atoi(cats), []int{2, 3, 4, 5, 6}) {
		t.Fatalf("categories on the home page: %v", cats)
	}
	page := string(c.follow(t, "GET", "/category?category=2&page=1", "").Body())
	var prods, pages []string
	for _, m := range jmeterProduct.FindAllStringSubmatch(page, -1) {
		prods = append(prods, m[1])
	}
	for _, m := range jmeterPage.FindAllStringSubmatch(page, -1) {
		pages = append(pages, m[1])
	}
	if len(prods) != 20 || prods[0] != "7" || !slices.Equal(atoi(pages), []int{1, 2, 3, 4, 5}) {
		t.Fatalf("products %v, pages %v; want 7–26 and 1–5", prods, pages)
	}
}

// Golden pages: every page as a client sees it, byte for byte. After a
// deliberate change: go test ./sims/teasim/store -run Golden -update.
func TestGoldenPages(t *testing.T) {
	c := newClient()
	steps := []struct{ name, method, uri, body string }{
		{"index", "GET", "/", ""},
		{"login", "GET", "/login", ""},
		{"category-first", "GET", "/category?category=2&page=1", ""},
		{"category-middle", "GET", "/category?category=2&page=3", ""},
		{"category-last", "GET", "/category?category=2&page=5", ""},
		{"product", "GET", "/product?id=42", ""},
		{"cart-empty", "GET", "/cart", ""},
		{"error-404", "GET", "/nope", ""},
		{"about", "GET", "/about", ""},
		{"status", "GET", "/status", ""},
		{"database", "GET", "/database", ""},
		{"home-logged-in", "POST", "/loginAction", "username=user5&password=password"},
		{"cart", "POST", "/cartAction", "addToCart=&productid=42"},
		{"order", "GET", "/order", ""},
		{"profile", "GET", "/profile", ""},
	}
	for _, s := range steps {
		r := c.follow(t, s.method, s.uri, s.body)
		golden.Check(t, filepath.Join("pages", s.name+".html"), r.Body())
	}
}
