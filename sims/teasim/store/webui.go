package store

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// Prefix is where the WebUI lives, as on a real TeaStore.
const Prefix = "/tools.descartes.teastore.webui"

// The real WebUI's cookies (AbstractUIServlet): a message shown once on
// the next page, and the products per page of the category view.
const (
	msgCookie     = "teastoreMessageCookie"
	errMsgCookie  = "teastoreErrorMessageCookie"
	perPageCookie = "teastorenumberProductsCookie"
	blobCookie    = "sessionBlob"
)

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
	ctx         *fasthttp.RequestCtx
	sess        Session
	set         bool   // write the session back
	msg, errMsg string // the message cookies' texts, shown once
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

// cookie sets a cookie as the WebUI's servlets do (no path: the browser's
// default, the WebUI's folder); maxAge 0 deletes it.
func (r *req) cookie(name, value string, del bool) {
	c := fasthttp.AcquireCookie()
	defer fasthttp.ReleaseCookie(c)
	c.SetKey(name)
	c.SetValue(value)
	if del {
		c.SetMaxAge(-1) // fasthttp's way of writing Max-Age=0
	}
	r.ctx.Response.Header.SetCookie(c)
}

// message sets the cookie whose text the next page shows (spaces as _).
func (r *req) message(name, text string) { r.cookie(name, strings.ReplaceAll(text, " ", "_"), false) }

// takeMessages reads the message cookies and deletes them, as every page does.
func (r *req) takeMessages() {
	for _, name := range []string{msgCookie, errMsgCookie} {
		v := r.ctx.Request.Header.Cookie(name)
		if len(v) == 0 {
			continue
		}
		text := strings.ReplaceAll(string(v), "_", " ")
		if name == msgCookie {
			r.msg = text
		} else {
			r.errMsg = text
		}
		r.cookie(name, string(v), true)
	}
}

// Serve answers one WebUI page or action as the real WebUI's servlets do.
func Serve(ctx *fasthttp.RequestCtx, page string) {
	r := &req{ctx: ctx, sess: DecodeSession(ctx.Request.Header.Cookie(blobCookie))}
	post := ctx.IsPost()
	switch page {
	case "index":
		r.takeMessages()
		r.render("index.html", &view{Title: "TeaStore Home", Logo: img})
	case "login":
		r.takeMessages()
		r.render("login.html", &view{Title: "TeaStore Login", Referer: escape(ctx.Request.Header.Referer())})
	case "loginAction":
		r.loginAction(post)
	case "category":
		r.category(post)
	case "product":
		r.product()
	case "cart":
		r.cart()
	case "cartAction":
		r.cartAction()
	case "order":
		if !post && len(r.sess.Cart) == 0 {
			r.redirect("/")
			return
		}
		r.takeMessages()
		r.render("order.html", &view{Title: "TeaStore Order"})
	case "profile":
		r.profile()
	case "about":
		r.render("about.html", &view{Title: "TeaStore About Us"})
	case "status":
		r.render("status.html", &view{Title: "TeaStore Status", Host: string(ctx.Host()),
			Services: []service{{"WebUI", "OK"}, {"Authentication", "OK"}, {"Persistence", "OK and populated"},
				{"Recommender", "OK and trained"}, {"Image", "OK and populated"}}})
	case "database":
		r.render("database.html", &view{Title: "TeaStore Database"})
	case "rest/ready/isready":
		ctx.SetContentType("text/plain")
		ctx.SetBodyString("true")
	default:
		r.notFound("")
		return
	}
	if r.set {
		r.cookie(blobCookie, r.sess.Encode(), false)
	}
}

// notFound answers 404 with the error page (what: the entity not found;
// empty for an unknown page, which Tomcat hands to the error servlet).
func (r *req) notFound(what string) {
	v := &view{Title: "TeaStore Error ", ErrorImage: img}
	if what != "" {
		v.Title, v.MessageTitle = "TeaStore Timeout", "404: Not Found Exception: "+what
	}
	r.render("error.html", v)
	r.ctx.SetStatusCode(fasthttp.StatusNotFound)
}

func escape(b []byte) string { return htmlEscaper.Replace(string(b)) }

var htmlEscaper = strings.NewReplacer(`&`, "&amp;", `'`, "&#39;", `<`, "&lt;", `>`, "&gt;", `"`, "&#34;")

func (r *req) loginAction(post bool) {
	switch {
	case !post:
		r.redirect("/")
	case r.has("username") && r.has("password"):
		uid, ok := ValidUser(r.param("username"), r.param("password"))
		if !ok {
			r.message(errMsgCookie, "You used wrong credentials!")
			r.redirect("/login")
			return
		}
		r.sess.UID, r.sess.Username = uid, r.param("username")
		r.set = true
		r.message(msgCookie, "You are logged in!")
		if strings.Contains(r.param("referer"), "tools.descartes.teastore.webui/cart") {
			r.redirect("/cart")
		} else {
			r.redirect("/")
		}
	case r.has("logout"):
		r.sess = Session{}
		r.cookie(blobCookie, r.sess.Encode(), true)
		r.message(msgCookie, "You are logged out!")
		r.redirect("/")
	default:
		r.redirect("/")
	}
}

// The category view's products per page: the choices and the default.
var perPageOptions = []int{5, 10, 20, 30, 50}

const defaultPerPage = 20

func (r *req) category(post bool) {
	if post && r.has("number") && r.has("page") && r.has("category") {
		r.cookie(perPageCookie, r.param("number"), false)
		r.redirect("/category?category=" + r.param("category") + "&page=" + r.param("page"))
		return
	}
	if !r.has("category") {
		r.redirect("/")
		return
	}
	r.takeMessages()
	cat, ok := CategoryByID(r.intParam("category", 0))
	if !ok {
		r.notFound("category " + escape([]byte(r.param("category"))))
		return
	}
	n := defaultPerPage
	if v, err := strconv.Atoi(string(r.ctx.Request.Header.Cookie(perPageCookie))); err == nil && v > 0 {
		n = min(v, perCategory)
	}
	page := r.intParam("page", 1)
	if page < 1 || page > (perCategory+n-1)/n {
		page = 1
	}
	prods, pages := ProductsOf(cat.ID, page, n)
	v := &view{Title: "TeaStore Categorie " + cat.Name, CategoryName: cat.Name, CategoryID: cat.ID,
		Pagination: pagination(pages, page)}
	for _, p := range prods {
		v.Products = append(v.Products, itemOf(p))
	}
	for _, o := range perPageOptions {
		v.PerPage = append(v.PerPage, perPage{o, o == n})
	}
	r.render("category.html", v)
}

// pagination is the WebUI's pager: on the first page, pages 1–6 and next;
// on the last, previous and the last six; between, previous, two pages
// either side, next.
func pagination(pages, page int) []pager {
	const window = 5
	var nav []pager
	add := func(from, to int) {
		for i := from; i <= to; i++ {
			nav = append(nav, pager{Kind: "page", Page: i, Active: i == page})
		}
	}
	switch {
	case page == 1 && pages == 1:
		add(1, 1)
		return nav
	case page == 1:
		add(1, min(pages, window+1))
	case page == pages:
		nav = append(nav, pager{Kind: "previous", Page: page - 1})
		add(max(pages-window, 1), pages)
		return nav
	default:
		nav = append(nav, pager{Kind: "previous", Page: page - 1})
		add(max(page-(window-1)/2, 1), min(page+(window-1)/2, pages))
	}
	return append(nav, pager{Kind: "next", Page: page + 1})
}

func (r *req) product() {
	if !r.has("id") {
		r.redirect("/")
		return
	}
	r.takeMessages()
	p, ok := ProductByID(r.intParam("id", 0))
	if !ok {
		r.notFound("product " + escape([]byte(r.param("id"))))
		return
	}
	v := &view{Title: "TeaStore Product", Product: itemOf(p)}
	for _, id := range Recommend(p.ID) {
		q, _ := ProductByID(id)
		v.Recommended = append(v.Recommended, itemOf(q))
	}
	r.render("product.html", v)
}

func (r *req) cart() {
	r.takeMessages()
	v := &view{Title: "TeaStore Cart"}
	total := 0
	for _, it := range r.sess.Cart {
		p, _ := ProductByID(it.Product)
		total += p.PriceCents * it.Quantity
		v.Cart = append(v.Cart, cartLine{ID: p.ID, Name: p.Name, Description: p.Description, Quantity: it.Quantity,
			Price: price(p.PriceCents), Total: price(p.PriceCents * it.Quantity)})
	}
	v.Total = price(total)
	seed := r.sess.UID
	if len(r.sess.Cart) > 0 {
		seed = r.sess.Cart[0].Product
	}
	for _, id := range Recommend(seed) {
		q, _ := ProductByID(id)
		v.Recommended = append(v.Recommended, itemOf(q))
	}
	r.render("cart.html", v)
}

func (r *req) profile() {
	if !r.sess.LoggedIn() {
		r.redirect("/")
		return
	}
	r.takeMessages()
	name := escape([]byte(r.sess.Username))
	v := &view{Title: "TeaStore Home", User: userView{Name: name, RealName: "User " + strconv.Itoa(r.sess.UID),
		Email: name + "@teastore.com"}}
	for _, o := range r.sess.Orders {
		v.Orders = append(v.Orders, orderView{ID: o.ID, Time: time.Unix(o.Time, 0).UTC().Format("2006-01-02 15:04"),
			Price: price(o.Cents), AddressName: escape([]byte(o.Name)), Address1: escape([]byte(o.Address1)),
			Address2: escape([]byte(o.Address2))})
	}
	r.render("profile.html", v)
}

// img is a 1×1 PNG inlined as the real WebUI inlines its images.
const img = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNk+A8AAQUBAScY42YAAAAASUVORK5CYII="

// Seed picks the recommendations (teasim --seed).
var Seed int64 = 42

// Recommend is the three products shown beside a product (or a cart): a
// seeded choice, the same for every request, as a trained recommender's
// would be, never the product itself.
func Recommend(id int) []int {
	out := make([]int, 0, 3)
	x := uint64(Seed)*0x9e3779b97f4a7c15 ^ uint64(id)*0xbf58476d1ce4e5b9
	for len(out) < 3 {
		x ^= x >> 31
		x *= 0x94d049bb133111eb
		p := firstProduct + int(x%uint64(lastProduct-firstProduct+1))
		if p != id && (len(out) == 0 || (p != out[0] && p != out[len(out)-1])) {
			out = append(out, p)
		}
	}
	return out
}
