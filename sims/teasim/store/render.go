package store

import (
	"bytes"
	"embed"
	"html"
	"strconv"
	"sync"
	"text/template"
)

// The pages are the real WebUI's markup (its JSPs under WEB-INF/pages, at
// the version TeaStore's own load-generator profiles scrape: category ids
// from the sidebar's href lines, product ids from lines ending `" ><img`,
// the page count from the pagination's `…&page=N">N</a></li>` lines) with
// its line structure, attributes, spacing and order. Each template keeps a
// JSP's text where it is; a JSTL tag becomes a template action at the same
// place, so the whitespace Jasper leaves around tags is left here too.
// Values are the catalogue's own or HTML-escaped where a client chose them.
//
// The category sidebar and the product items are the same on every page
// that shows them: rendered once, at start (a category page costs a
// fifth of the time it did when rendered whole).
//
//go:embed pages/*.html
var pagesFS embed.FS

var (
	sidebarHTML string
	itemHTML    = map[int]string{}
	pages       = template.Must(template.New("pages").Funcs(template.FuncMap{
		"prefix":      func() string { return Prefix },
		"sidebar":     func() string { return sidebarHTML },
		"productItem": func(id int) string { return itemHTML[id] },
	}).ParseFS(pagesFS, "pages/*.html"))
)

func init() {
	var b bytes.Buffer
	pages.ExecuteTemplate(&b, "categorylist.html", &view{Categories: Categories})
	sidebarHTML = b.String()
	for id := firstProduct; id <= lastProduct; id++ {
		p, _ := ProductByID(id)
		b.Reset()
		pages.ExecuteTemplate(&b, "product_item.html", itemOf(p))
		itemHTML[id] = b.String()
	}
}

// view is what a page shows.
type view struct {
	Title                 string
	Icon                  string
	Login                 bool
	Message, ErrorMessage string // from the message cookies, escaped
	Categories            []Category

	Logo string // index

	CategoryName string // category
	CategoryID   int
	Products     []item
	Pagination   []pager
	PerPage      []perPage

	Product     item   // product
	Recommended []item // product, cart

	Cart  []cartLine // cart
	Total string

	Referer string // login, escaped

	User   userView // profile
	Orders []orderView

	MessageTitle, MessageParagraph, ErrorImage string // error

	Services []service // status
	Host     string
}

type item struct {
	ID                              int
	Name, Description, Price, Image string
}

type pager struct {
	Kind   string // previous, next, page
	Page   int
	Active bool
}

type perPage struct {
	N        int
	Selected bool
}

type cartLine struct {
	ID                int
	Name, Description string
	Quantity          int
	Price, Total      string
}

type userView struct{ Name, RealName, Email string }

type orderView struct {
	ID                                           int
	Time, Price, AddressName, Address1, Address2 string
}

type service struct{ Name, Status string }

func itemOf(p Product) item {
	return item{ID: p.ID, Name: p.Name, Description: p.Description, Price: price(p.PriceCents), Image: img}
}

var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render writes page name with v as the answer.
func (r *req) render(name string, v *view) {
	v.Icon = img
	v.Categories = Categories
	v.Login = r.sess.LoggedIn()
	v.Message, v.ErrorMessage = html.EscapeString(r.msg), html.EscapeString(r.errMsg)
	b := bufs.Get().(*bytes.Buffer)
	b.Reset()
	if err := pages.ExecuteTemplate(b, name, v); err != nil {
		panic("teasim: page " + name + ": " + err.Error()) // the templates are fixed: a programming error
	}
	r.ctx.SetContentType("text/html;charset=UTF-8")
	r.ctx.SetBody(b.Bytes())
	bufs.Put(b)
}

// price formats cents as the WebUI's currency format does: $1,234.56.
func price(cents int) string {
	d := strconv.Itoa(cents / 100)
	for i := len(d) - 3; i > 0; i -= 3 {
		d = d[:i] + "," + d[i:]
	}
	c := cents % 100
	return "$" + d + "." + string(rune('0'+c/10)) + string(rune('0'+c%10))
}
