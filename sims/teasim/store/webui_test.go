package store

import (
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// do serves one request in memory, carrying the session cookie like a browser.
type client struct{ cookies map[string]string }

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
	ctx.Response.Header.VisitAllCookie(func(k, v []byte) {
		ck := fasthttp.AcquireCookie()
		ck.ParseBytes(v)
		c.cookies[string(k)] = string(ck.Value())
		fasthttp.ReleaseCookie(ck)
	})
	var r fasthttp.Response
	ctx.Response.CopyTo(&r)
	return &r
}

func TestPagesAndActions(t *testing.T) {
	cases := []struct {
		method, uri, body string
		status            int
		location, has     string
	}{
		{"GET", "/", "", 200, "", `href="/tools.descartes.teastore.webui/category?category=2&page=1"`},
		{"GET", "/index", "", 200, "", "Welcome to the TeaStore"},
		{"GET", "/login", "", 200, "", `<form action="loginAction" method="POST">`},
		{"GET", "/category?category=4&page=2", "", 200, "", `href="/tools.descartes.teastore.webui/product?id=227"`},
		{"GET", "/category?category=9&page=1", "", 404, "", "No such category"},
		{"POST", "/category?category=2&page=1", "number=5", 200, "", "product?id=11"},
		{"GET", "/product?id=506", "", 200, "", `name="addToCart"`},
		{"GET", "/product?id=6", "", 404, "", ""},
		{"GET", "/cart", "", 200, "", "Shopping Cart"},
		{"GET", "/order", "", 302, "/", ""},
		{"GET", "/profile", "", 302, "/login", ""},
		{"GET", "/about", "", 200, "", "About us"},
		{"GET", "/status", "", 200, "", "Service Status"},
		{"GET", "/rest/ready/isready", "", 200, "", "true"},
		{"GET", "/nope", "", 404, "", ""},
		{"POST", "/loginAction", "username=user1&password=password", 302, "/", ""},
		{"POST", "/loginAction?username=user1&password=wrong", "", 302, "/login", ""},
		{"POST", "/loginAction?username=bob&password=password", "", 302, "/login", ""},
		{"POST", "/loginAction", "logout=", 302, "/", ""},
		{"POST", "/cartAction?addToCart=&productid=42", "", 302, "/cart", ""},
		{"GET", "/cartAction?addToCart=&productid=42", "", 302, "/cart", ""},
		{"POST", "/cartAction", "proceedtoCheckout=", 302, "/login", ""},
		{"POST", "/cartAction", "confirm=Confirm&firstname=A", 302, "/order", ""},
	}
	for _, c := range cases {
		cl := &client{cookies: map[string]string{}}
		r := cl.do(t, c.method, c.uri, c.body)
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

func TestLoginCartCheckoutLogoutSession(t *testing.T) {
	c := &client{cookies: map[string]string{}}
	c.do(t, "POST", "/loginAction", "username=user7&password=password")
	if c.cookies["successMessage"] == "" || c.cookies["sessionBlob"] == "" {
		t.Fatalf("login cookies: %v", c.cookies)
	}
	if !strings.Contains(string(c.do(t, "GET", "/profile", "").Body()), "user7") {
		t.Fatal("profile does not show the logged-in user")
	}
	c.do(t, "POST", "/cartAction", "addToCart=&productid=42")
	c.do(t, "POST", "/cartAction", "addToCart=&productid=42")
	c.do(t, "POST", "/cartAction", "addToCart=&productid=100")
	cart := string(c.do(t, "GET", "/cart", "").Body())
	if !strings.Contains(cart, `name="orderitem_42" type="number" value="2"`) || !strings.Contains(cart, "orderitem_100") {
		t.Fatalf("cart: %s", cart)
	}
	c.do(t, "POST", "/cartAction", "updateCartQuantities=&orderitem_42=5&orderitem_100=1")
	c.do(t, "POST", "/cartAction", "removeProduct_100=Remove")
	cart = string(c.do(t, "GET", "/cart", "").Body())
	if !strings.Contains(cart, `orderitem_42" type="number" value="5"`) || strings.Contains(cart, "orderitem_100") {
		t.Fatalf("after update and remove: %s", cart)
	}
	if r := c.do(t, "POST", "/cartAction", "proceedtoCheckout="); string(r.Header.Peek("Location")) != Prefix+"/order" {
		t.Fatal("checkout of a logged-in user must go to /order")
	}
	if r := c.do(t, "GET", "/order", ""); r.StatusCode() != 200 || !strings.Contains(string(r.Body()), `name="confirm"`) {
		t.Fatal("order page")
	}
	r := c.do(t, "POST", "/cartAction", "firstname=A&lastname=B&address1=C&address2=D&cardtype=visa&cardnumber=1&expirydate=12/2050&confirm=Confirm")
	if string(r.Header.Peek("Location")) != Prefix+"/" || strings.Contains(string(c.do(t, "GET", "/cart", "").Body()), "orderitem_42") {
		t.Fatal("a confirmed order must empty the cart and go home")
	}
	if !strings.Contains(string(c.do(t, "GET", "/profile", "").Body()), "<td>Orders</td><td>1</td>") {
		t.Fatal("the order is not counted")
	}
	c.do(t, "POST", "/loginAction", "logout=")
	if r := c.do(t, "GET", "/profile", ""); r.StatusCode() != 302 {
		t.Fatal("after logout the profile must redirect to login")
	}
}

func TestBrokenSessionBlobIsAnEmptySession(t *testing.T) {
	c := &client{cookies: map[string]string{"sessionBlob": "%%%garbage"}}
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
	f.Fuzz(func(t *testing.T, blob, method, uri, body string) {
		var ctx fasthttp.RequestCtx
		ctx.Request.Header.SetMethod(method)
		ctx.Request.SetRequestURI(Prefix + "/" + strings.TrimPrefix(uri, "/"))
		ctx.Request.Header.SetContentType("application/x-www-form-urlencoded")
		ctx.Request.SetBodyString(body)
		ctx.Request.Header.SetCookie("sessionBlob", blob)
		if page, _, ok := Page(ctx.Method(), ctx.Path()); ok {
			Serve(&ctx, page)
		}
		s := DecodeSession([]byte(blob))
		if len(s.Cart) > 100 {
			t.Fatal("a cookie grew the cart beyond its bound")
		}
	})
}
