package store

import (
	"bytes"
	"fmt"
	"html"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"
)

// Prefix is where the WebUI lives, as on a real TeaStore.
const Prefix = "/tools.descartes.teastore.webui"

// Page is one request as the model and the log see it: method and page name
// ("GET category", "POST loginAction").
func Page(method, path []byte) (page, cmd string, ok bool) {
	if !bytes.HasPrefix(path, []byte(Prefix)) {
		return "", "", false
	}
	p := strings.Trim(string(path[len(Prefix):]), "/")
	if p == "" {
		p = "index"
	}
	return p, string(method) + " " + p, true
}

type req struct {
	ctx  *fasthttp.RequestCtx
	sess Session
	set  bool // write the session back
}

// param reads a parameter from the query string or the form body, either way.
func (r *req) param(name string) string {
	if v := r.ctx.QueryArgs().Peek(name); v != nil {
		return string(v)
	}
	return string(r.ctx.PostArgs().Peek(name))
}

// has reports whether a parameter is present, even empty (addToCart=).
func (r *req) has(name string) bool {
	return r.ctx.QueryArgs().Has(name) || r.ctx.PostArgs().Has(name)
}

func (r *req) intParam(name string, def int) int {
	v, err := strconv.Atoi(r.param(name))
	if err != nil {
		return def
	}
	return v
}

func (r *req) redirect(to string) {
	r.ctx.Response.Header.Set("Location", Prefix+to)
	r.ctx.SetStatusCode(fasthttp.StatusFound)
}

func (r *req) message(kind, text string) {
	c := fasthttp.AcquireCookie()
	defer fasthttp.ReleaseCookie(c)
	c.SetKey(kind)
	c.SetValue(strings.ReplaceAll(text, " ", "_"))
	c.SetPath("/")
	r.ctx.Response.Header.SetCookie(c)
}

// Serve answers one WebUI page or action.
func Serve(ctx *fasthttp.RequestCtx, page string) {
	r := &req{ctx: ctx, sess: DecodeSession(ctx.Request.Header.Cookie("sessionBlob"))}
	post := ctx.IsPost()
	switch {
	case page == "index":
		r.html("Home", r.indexBody())
	case page == "login" && !post:
		r.html("Login", loginForm)
	case page == "loginAction":
		r.loginAction()
	case page == "category":
		r.category(post)
	case page == "product" && !post:
		r.product()
	case page == "cart" && !post:
		r.html("Shopping Cart", r.cartBody())
	case page == "cartAction":
		r.cartAction()
	case page == "order":
		if !r.sess.LoggedIn() || len(r.sess.Cart) == 0 {
			r.redirect("/")
			return
		}
		r.html("Order", orderForm)
	case page == "profile" && !post:
		if !r.sess.LoggedIn() {
			r.redirect("/login")
			return
		}
		r.html("Profile", fmt.Sprintf(`<h2>User Profile</h2><table class="table"><tr><td>Username</td><td>%s</td></tr><tr><td>Real Name</td><td>%s</td></tr><tr><td>Orders</td><td>%d</td></tr></table>`,
			html.EscapeString(r.sess.Username), html.EscapeString(r.sess.Username), r.sess.Orders))
	case page == "about" && !post:
		r.html("About us", `<h2>About us</h2><p>teasim: a simulated TeaStore (perflab).</p>`)
	case page == "status" && !post:
		r.html("Status", `<h2>TeaStore Service Status</h2><table class="table"><tr><td>WebUI</td><td>OK</td></tr><tr><td>Auth</td><td>OK</td></tr><tr><td>Persistence</td><td>OK</td></tr><tr><td>Recommender</td><td>OK</td></tr><tr><td>Image</td><td>OK</td></tr></table>`)
	case page == "rest/ready/isready":
		ctx.SetContentType("text/plain")
		ctx.SetBodyString("true")
	default:
		ctx.SetStatusCode(fasthttp.StatusNotFound)
		r.html("Error 404", `<h2>Oops, something went wrong!</h2><p>Error 404: page not found.</p>`)
		return
	}
	if r.set {
		c := fasthttp.AcquireCookie()
		c.SetKey("sessionBlob")
		c.SetValue(r.sess.Encode())
		c.SetPath("/")
		ctx.Response.Header.SetCookie(c)
		fasthttp.ReleaseCookie(c)
	}
}

func (r *req) loginAction() {
	switch {
	case r.has("logout"):
		r.sess = Session{}
		r.set = true
		r.message("successMessage", "You are logged out")
		r.redirect("/")
	case r.has("username"):
		uid, ok := ValidUser(r.param("username"), r.param("password"))
		if !ok {
			r.message("errorMessage", "Wrong username or password")
			r.redirect("/login")
			return
		}
		r.sess.UID, r.sess.Username = uid, r.param("username")
		r.set = true
		r.message("successMessage", "Login successful")
		r.redirect("/")
	default:
		r.redirect("/login")
	}
}

func (r *req) category(post bool) {
	if post && r.has("number") { // products per page
		r.sess.PerPage = min(max(r.intParam("number", 20), 1), 100)
		r.set = true
	}
	cat, ok := CategoryByID(r.intParam("category", 0))
	if !ok {
		r.ctx.SetStatusCode(fasthttp.StatusNotFound)
		r.html("Error 404", `<h2>Oops, something went wrong!</h2><p>No such category.</p>`)
		return
	}
	n := r.sess.PerPage
	if n == 0 {
		n = 20
	}
	page := max(r.intParam("page", 1), 1)
	prods, pages := ProductsOf(cat.ID, page, n)
	var b strings.Builder
	fmt.Fprintf(&b, `<h2 class="minipage-title">%s</h2><div class="row">`, html.EscapeString(cat.Name))
	for _, p := range prods {
		fmt.Fprintf(&b, `<div class="col-sm-6 col-md-4 col-lg-3 placeholder thumbnail"><form action="cartAction" method="POST">`+
			`<input type="hidden" name="productid" value="%d"><a href="%s/product?id=%d"><img class="productpicture" src="%s" alt="%s"></a>`+
			`<div class="divider"><b>%s</b><br>%s</div><input name="addToCart" class="btn btn-sm btn-primary" type="submit" value="Add to Cart"></form></div>`,
			p.ID, Prefix, p.ID, img, html.EscapeString(p.Name), html.EscapeString(p.Name), price(p.PriceCents))
	}
	b.WriteString(`</div><ul class="pagination">`)
	for i := 1; i <= pages; i++ {
		fmt.Fprintf(&b, `<li><a href="%s/category?category=%d&page=%d">%d</a></li>`, Prefix, cat.ID, i, i)
	}
	b.WriteString(`</ul><form action="category?category=` + strconv.Itoa(cat.ID) + `&page=1" method="POST">` +
		`<select name="number"><option>5</option><option>10</option><option selected>20</option><option>30</option><option>50</option></select>` +
		`<input type="submit" value="Set products per page"></form>`)
	r.html(cat.Name, b.String())
}

func (r *req) product() {
	p, ok := ProductByID(r.intParam("id", 0))
	if !ok {
		r.ctx.SetStatusCode(fasthttp.StatusNotFound)
		r.html("Error 404", `<h2>Oops, something went wrong!</h2><p>No such product.</p>`)
		return
	}
	r.html(p.Name, fmt.Sprintf(`<h2 class="minipage-title">%s</h2><div class="row"><img class="productpicture" src="%s" alt="%s">`+
		`<blockquote><p>%s</p></blockquote><p>Price: %s</p><form action="cartAction" method="POST">`+
		`<input type="hidden" name="productid" value="%d"><input name="addToCart" class="btn btn-sm btn-primary" type="submit" value="Add to Cart"></form></div>`+
		`<h3>Are you interested in?</h3><a href="%s/product?id=%d"><img class="productpicture" src="%s" alt="recommended"></a>`,
		html.EscapeString(p.Name), img, html.EscapeString(p.Name), html.EscapeString(p.Description), price(p.PriceCents), p.ID,
		Prefix, Recommend(p.ID), img))
}

func (r *req) cartAction() {
	switch {
	case r.has("addToCart"):
		p, ok := ProductByID(r.intParam("productid", 0))
		if !ok {
			r.redirect("/")
			return
		}
		r.sess.Add(p.ID)
		r.set = true
		r.message("successMessage", "Product "+p.Name+" added to cart")
		r.redirect("/cart")
	case r.has("proceedtoCheckout"):
		if !r.sess.LoggedIn() {
			r.redirect("/login")
			return
		}
		r.redirect("/order")
	case r.has("confirm"):
		for _, f := range []string{"firstname", "lastname", "address1", "address2", "cardtype", "cardnumber", "expirydate"} {
			if r.param(f) == "" {
				r.message("errorMessage", "Missing "+f)
				r.redirect("/order")
				return
			}
		}
		if !r.sess.LoggedIn() {
			r.redirect("/login")
			return
		}
		r.sess.Cart = nil
		r.sess.Orders++
		r.set = true
		r.message("successMessage", "Your order is confirmed")
		r.redirect("/")
	case r.has("updateCartQuantities"):
		for _, it := range append([]Item(nil), r.sess.Cart...) {
			if q := r.param("orderitem_" + strconv.Itoa(it.Product)); q != "" {
				n, err := strconv.Atoi(q)
				if err == nil {
					r.sess.SetQuantity(it.Product, n)
				}
			}
		}
		r.set = true
		r.redirect("/cart")
	default:
		for _, it := range r.sess.Cart {
			if r.has("removeProduct_" + strconv.Itoa(it.Product)) {
				r.sess.Remove(it.Product)
				r.set = true
				break
			}
		}
		r.redirect("/cart")
	}
}

func (r *req) cartBody() string {
	var b strings.Builder
	b.WriteString(`<h2 class="minipage-title">Shopping Cart</h2><form action="cartAction" method="POST"><table class="table"><tr><th>Item ID</th><th>Product Name</th><th>Quantity</th><th>Price</th><th></th></tr>`)
	total := 0
	for _, it := range r.sess.Cart {
		p, _ := ProductByID(it.Product)
		total += p.PriceCents * it.Quantity
		fmt.Fprintf(&b, `<tr><td>%d</td><td><a href="%s/product?id=%d">%s</a></td><td><input name="orderitem_%d" type="number" value="%d"></td><td>%s</td>`+
			`<td><input name="removeProduct_%d" type="submit" value="Remove"></td></tr>`,
			p.ID, Prefix, p.ID, html.EscapeString(p.Name), p.ID, it.Quantity, price(p.PriceCents*it.Quantity), p.ID)
	}
	fmt.Fprintf(&b, `</table><p>Total: %s</p><input name="updateCartQuantities" type="submit" value="Update Cart"> `+
		`<input name="proceedtoCheckout" type="submit" value="Proceed to Checkout"></form>`, price(total))
	return b.String()
}

func (r *req) indexBody() string {
	return `<h2>Welcome to the TeaStore!</h2><p>A simulated tea shop for performance experiments.</p>` +
		`<a href="` + Prefix + `/category?category=2&page=1"><img src="` + img + `" alt="Black Tea"></a>`
}

const loginForm = `<h2 class="minipage-title">Please Login</h2><form action="loginAction" method="POST">` +
	`<input type="text" name="username" placeholder="Username"><input type="password" name="password" placeholder="Password">` +
	`<input type="submit" name="signin" class="btn btn-primary" value="Sign in"></form>`

const orderForm = `<h2 class="minipage-title">Order</h2><form action="cartAction" method="POST">` +
	`<input name="firstname" value="Jon"><input name="lastname" value="Snow"><input name="address1" value="Winterfell">` +
	`<input name="address2" value="11111 The North, Westeros"><select name="cardtype"><option>Visa</option><option>MasterCard</option></select>` +
	`<input name="cardnumber" value="314159265359"><input name="expirydate" value="12/2025">` +
	`<input name="confirm" class="btn btn-primary" type="submit" value="Confirm"></form>`

// img is a 1×1 PNG inlined as the real WebUI inlines its images.
const img = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNk+A8AAQUBAScY42YAAAAASUVORK5CYII="

// Seed picks the recommendations (teasim --seed).
var Seed int64 = 42

// Recommend is the product shown beside product id: a seeded choice, the
// same for every request, as a trained recommender's would be.
func Recommend(id int) int {
	x := uint64(Seed)*0x9e3779b97f4a7c15 ^ uint64(id)*0xbf58476d1ce4e5b9
	x ^= x >> 31
	return firstProduct + int(x%uint64(lastProduct-firstProduct+1))
}

func price(cents int) string { return fmt.Sprintf("$%d.%02d", cents/100, cents%100) }

func (r *req) html(title, body string) {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>TeaStore ` + html.EscapeString(title) + `</title></head><body>`)
	b.WriteString(`<nav class="navbar"><a class="navbar-brand" href="` + Prefix + `/index"><img src="` + img + `" alt="TeaStore">TeaStore</a><ul class="nav navbar-nav">`)
	if r.sess.LoggedIn() {
		b.WriteString(`<li><form action="loginAction" method="POST"><input name="logout" type="submit" value="Logout"></form></li><li><a href="` + Prefix + `/profile">Profile</a></li>`)
	} else {
		b.WriteString(`<li><a href="` + Prefix + `/login">Sign in</a></li>`)
	}
	fmt.Fprintf(&b, `<li><a href="%s/cart">Cart (%d)</a></li></ul></nav><div class="container"><div class="row"><div class="col-sm-3 sidebar"><ul class="nav-sidebar">`, Prefix, len(r.sess.Cart))
	for _, c := range Categories {
		fmt.Fprintf(&b, `<li><a href="%s/category?category=%d&page=1">%s</a></li>`, Prefix, c.ID, html.EscapeString(c.Name))
	}
	b.WriteString(`</ul></div><div class="col-sm-9 main">` + body + `</div></div></div><footer><a href="` + Prefix + `/about">About us</a> <a href="` + Prefix + `/status">Status</a></footer></body></html>`)
	r.ctx.SetContentType("text/html; charset=utf-8")
	r.ctx.SetBodyString(b.String())
}
