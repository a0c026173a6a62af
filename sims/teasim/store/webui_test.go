package store

import (
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// client serves requests in memory, carrying cookies like a browser.
type client struct{ cookies map[string]string }

func newClient() *client { return &client{cookies: map[string]string{}} }

func (c *client) do(t *testing.T, method, uri, body string) *fasthttp.Response {
	t.Helper()
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod(method)
	ctx.Request.SetRequestURI(Prefix + uri)
	if body != "" {
		ctx.Request.Header.SetContentType("application/x-www-form-urlencoded")
		ctx.Request.SetBodyString(body)
	}
	for k, v := range c.cookies {
		ctx.Request.Header.SetCookie(k, v)
	}
	page, _, ok := Page(ctx.Method(), ctx.Path())
	if !ok {
		t.Fatalf("%s not under the prefix", uri)
	}
	Serve(&ctx, page)
	for k, v := range ctx.Response.Header.Cookies() {
		ck := fasthttp.AcquireCookie()
		ck.ParseBytes(v)
		if ck.MaxAge() < 0 {
			delete(c.cookies, string(k))
		} else {
			c.cookies[string(k)] = string(ck.Value())
		}
		fasthttp.ReleaseCookie(ck)
	}
	var r fasthttp.Response
	ctx.Response.CopyTo(&r)
	return &r
}

// follow does a request and every redirect after it as GETs, as a browser.
func (c *client) follow(t *testing.T, method, uri, body string) *fasthttp.Response {
	t.Helper()
	r := c.do(t, method, uri, body)
	for i := 0; i < 5 && r.StatusCode() == 302; i++ {
		r = c.do(t, "GET", strings.TrimPrefix(string(r.Header.Peek("Location")), Prefix), "")
	}
	return r
}

func TestPagesAndActions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		method, uri, body string
		status            int
		location, has     string
	}{
		{"GET", "/", "", 200, "", `href="/tools.descartes.teastore.webui/category?category=2&page=1"`},
		{"GET", "/index", "", 200, "", "<title>TeaStore Home</title>"},
		{"POST", "/index", "", 200, "", "<title>TeaStore Home</title>"},
		{"GET", "/login", "", 200, "", `<form action="loginAction" method="POST">`},
		{"GET", "/category?category=4&page=2", "", 200, "", `href="/tools.descartes.teastore.webui/product?id=227" ><img`},
		{"GET", "/category?category=4&page=99", "", 200, "", `<li class="active"><a` + "\n\t\t\t\t\t\t\t\t\t\t\t\thref=\"/tools.descartes.teastore.webui/category?category=4&page=1\">1</a></li>"},
		{"GET", "/category?category=9&page=1", "", 404, "", "404: Not Found Exception: category 9"},
		{"GET", "/category", "", 302, "/", ""},
		{"POST", "/category?category=2&page=1", "number=5", 302, "/category?category=2&page=1", ""},
		{"POST", "/category?category=2&page=1", "", 200, "", "product?id=26"},
		{"GET", "/product?id=506", "", 200, "", `name="addToCart"`},
		{"GET", "/product?id=6", "", 404, "", "404: Not Found Exception: product 6"},
		{"GET", "/product", "", 302, "/", ""},
		{"GET", "/cart", "", 200, "", "<b>Your cart is empty.</b>"},
		{"GET", "/order", "", 302, "/", ""},
		{"GET", "/profile", "", 302, "/", ""},
		{"GET", "/about", "", 200, "", "teasim"},
		{"GET", "/status", "", 200, "", "TeaStore Service Status"},
		{"GET", "/database", "", 200, "", "Setup the Database"},
		{"GET", "/rest/ready/isready", "", 200, "", "true"},
		{"GET", "/nope", "", 404, "", "Oops, something went wrong!"},
		{"POST", "/loginAction", "username=user1&password=password", 302, "/", ""},
		{"POST", "/loginAction", "username=user1&password=password&referer=http://x/tools.descartes.teastore.webui/cart", 302, "/cart", ""},
		{"POST", "/loginAction?username=user1&password=wrong", "", 302, "/login", ""},
		{"POST", "/loginAction?username=bob&password=password", "", 302, "/login", ""},
		{"GET", "/loginAction?username=user1&password=password", "", 302, "/", ""},
		{"POST", "/loginAction", "logout=", 302, "/", ""},
		{"POST", "/loginAction", "", 302, "/", ""},
		{"POST", "/cartAction?addToCart=&productid=42", "", 302, "/cart", ""},
		{"GET", "/cartAction?addToCart=&productid=42", "", 302, "/cart", ""},
		{"POST", "/cartAction?addToCart=&productid=9999", "", 404, "", ""},
		{"POST", "/cartAction", "proceedtoCheckout=", 302, "/login", ""},
		{"POST", "/cartAction", "confirm=Confirm&firstname=A", 302, "/order", ""},
	}
	for _, c := range cases {
		r := newClient().do(t, c.method, c.uri, c.body)
		if r.StatusCode() != c.status {
			t.Errorf("%s %s: status %d, want %d", c.method, c.uri, r.StatusCode(), c.status)
		}
		if loc := string(r.Header.Peek("Location")); c.location != "" && loc != Prefix+c.location {
			t.Errorf("%s %s: Location %q, want %q", c.method, c.uri, loc, Prefix+c.location)
		}
		if c.has != "" && !strings.Contains(string(r.Body()), c.has) {
			t.Errorf("%s %s: body lacks %q", c.method, c.uri, c.has)
		}
	}
}

// The real WebUI's cookies: a message shown once on the next page, the
// products per page, the session blob; logout deletes the blob.
func TestLoginCartCheckoutLogoutSession(t *testing.T) {
	t.Parallel()
	c := newClient()
	if r := c.follow(t, "POST", "/loginAction", "username=user7&password=password"); !strings.Contains(string(r.Body()),
		"<strong>Success!</strong> You are logged in!") {
		t.Fatalf("the home page after login does not say so: %v", c.cookies)
	}
	if _, ok := c.cookies[msgCookie]; ok || c.cookies[blobCookie] == "" {
		t.Fatalf("after the page showed it, the message cookie must be gone: %v", c.cookies)
	}
	if !strings.Contains(string(c.do(t, "GET", "/profile", "").Body()), "<td>user7</td>") {
		t.Fatal("profile does not show the logged-in user")
	}
	c.do(t, "POST", "/cartAction", "addToCart=&productid=42")
	c.do(t, "POST", "/cartAction", "addToCart=&productid=42")
	cart := string(c.follow(t, "POST", "/cartAction", "addToCart=&productid=100").Body())
	if !strings.Contains(cart, "Product 100 is added to cart!") || !strings.Contains(cart, "name=\"orderitem_42\"\n\t\t\t\t\t\t\t\t\ttype=\"number\" class=\"quantity\" value=\"2\"") {
		t.Fatalf("cart: %s", cart)
	}
	c.do(t, "POST", "/cartAction", "orderitem_42=5&orderitem_100=1&updateCartQuantities=Update+Cart")
	cart = string(c.follow(t, "POST", "/cartAction", "removeProduct_100=").Body())
	if !strings.Contains(cart, `class="quantity" value="5"`) || strings.Contains(cart, "orderitem_100") || !strings.Contains(cart, "Product 100 is removed from cart!") {
		t.Fatalf("after update and remove: %s", cart)
	}
	if r := c.do(t, "POST", "/cartAction", "orderitem_42=3&proceedtoCheckout=Proceed+to+Checkout"); string(r.Header.Peek("Location")) != Prefix+"/order" {
		t.Fatal("checkout of a logged-in user must go to /order")
	}
	if r := c.do(t, "GET", "/order", ""); r.StatusCode() != 200 || !strings.Contains(string(r.Body()), `name="confirm"`) {
		t.Fatal("order page")
	}
	r := c.follow(t, "POST", "/cartAction", "firstname=A&lastname=B&address1=C&address2=D&cardtype=visa&cardnumber=1&expirydate=12/2050&confirm=Confirm")
	if !strings.Contains(string(r.Body()), "Your order is confirmed!") || !strings.Contains(string(c.do(t, "GET", "/cart", "").Body()), "Your cart is empty.") {
		t.Fatal("a confirmed order must empty the cart and go home saying so")
	}
	price42 := price(299 + (42*37)%2000)
	price3 := price(3 * (299 + (42*37)%2000))
	if p := string(c.do(t, "GET", "/profile", "").Body()); !strings.Contains(p, "<td>"+price3+"</td>") || !strings.Contains(p, "<td>A B</td>") {
		t.Fatalf("the order (3 × %s) is not listed: %s", price42, p)
	}
	c.do(t, "POST", "/loginAction", "logout=")
	if _, ok := c.cookies[blobCookie]; ok {
		t.Fatal("logout must delete the session blob")
	}
	if r := c.do(t, "GET", "/profile", ""); r.StatusCode() != 302 {
		t.Fatal("after logout the profile must redirect")
	}
}

func TestProductsPerPageCookie(t *testing.T) {
	t.Parallel()
	c := newClient()
	r := c.follow(t, "POST", "/category?page=1&category=3", "number=30")
	if c.cookies[perPageCookie] != "30" || strings.Count(string(r.Body()), `name="productid"`) != 30 {
		t.Fatalf("30 per page: cookie %q, %d products", c.cookies[perPageCookie], strings.Count(string(r.Body()), `name="productid"`))
	}
	if !strings.Contains(string(r.Body()), `<option value="30" selected="selected">30</option>`) {
		t.Fatal("the chosen number is not selected")
	}
}

func TestPagination(t *testing.T) {
	t.Parallel()
	str := func(p []pager) string {
		var b strings.Builder
		for _, x := range p {
			switch {
			case x.Kind != "page":
				b.WriteString(x.Kind[:1])
			case x.Active:
				b.WriteString("[" + string(rune('0'+x.Page)) + "]")
			default:
				b.WriteString(string(rune('0' + x.Page)))
			}
		}
		return b.String()
	}
	for _, c := range []struct {
		pages, page int
		want        string
	}{
		{1, 1, "[1]"}, {4, 1, "[1]234n"}, {9, 1, "[1]23456n"}, {9, 5, "p34[5]67n"}, {9, 2, "p1[2]34n"},
		{9, 9, "p45678[9]"}, {4, 4, "p123[4]"}, {5, 4, "p23[4]5n"},
	} {
		if got := str(pagination(c.pages, c.page)); got != c.want {
			t.Errorf("%d pages, page %d: %s, want %s", c.pages, c.page, got, c.want)
		}
	}
}

func TestPrice(t *testing.T) {
	for cents, want := range map[int]string{0: "$0.00", 5: "$0.05", 1234: "$12.34", 123456: "$1,234.56", 123456789: "$1,234,567.89"} {
		if got := price(cents); got != want {
			t.Errorf("%d: %s, want %s", cents, got, want)
		}
	}
}

func TestBrokenSessionBlobIsAnEmptySession(t *testing.T) {
	c := &client{cookies: map[string]string{blobCookie: "%%%garbage"}}
	if r := c.do(t, "GET", "/cart", ""); r.StatusCode() != 200 {
		t.Fatalf("status %d", r.StatusCode())
	}
}

func TestPageNames(t *testing.T) {
	for uri, want := range map[string]string{Prefix + "/": "GET index", Prefix: "GET index", Prefix + "/category": "GET category", Prefix + "/rest/ready/isready": "GET rest/ready/isready"} {
		if _, cmd, ok := Page([]byte("GET"), []byte(uri)); !ok || cmd != want {
			t.Errorf("%s: %q", uri, cmd)
		}
	}
	if _, _, ok := Page([]byte("GET"), []byte("/other")); ok {
		t.Error("a path outside the WebUI")
	}
}

// Any cookie and any request must be answered, never crash the server.
func FuzzRequests(f *testing.F) {
	f.Add("eyJ1aWQiOjMsInVzZXIiOiJ1c2VyMyJ9", "POST", "/cartAction?addToCart=&productid=42", "updateCartQuantities=&orderitem_42=-3")
	f.Add("", "POST", "/category?category=2&page=1", "number=-5")
	f.Fuzz(func(t *testing.T, blob, method, uri, body string) {
		var ctx fasthttp.RequestCtx
		ctx.Request.Header.SetMethod(method)
		ctx.Request.SetRequestURI(Prefix + "/" + strings.TrimPrefix(uri, "/"))
		ctx.Request.Header.SetContentType("application/x-www-form-urlencoded")
		ctx.Request.SetBodyString(body)
		ctx.Request.Header.SetCookie(blobCookie, blob)
		ctx.Request.Header.SetCookie(perPageCookie, body)
		if page, _, ok := Page(ctx.Method(), ctx.Path()); ok {
			Serve(&ctx, page)
		}
		s := DecodeSession([]byte(blob))
		if len(s.Cart) > 100 || len(s.Orders) > maxOrders {
			t.Fatal("a cookie grew the session beyond its bounds")
		}
	})
}

// The page the load tests ask for most, rendered (docs/performance.md (8)):
// go test -run - -bench Page ./sims/teasim/store
func BenchmarkCategoryPage(b *testing.B) {
	var ctx fasthttp.RequestCtx
	ctx.Request.SetRequestURI(Prefix + "/category?category=3&page=2")
	b.ReportAllocs()
	for b.Loop() {
		ctx.Response.Reset()
		Serve(&ctx, "category")
	}
	b.ReportMetric(float64(len(ctx.Response.Body())), "bytes/page")
}
