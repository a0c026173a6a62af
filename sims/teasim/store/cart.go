package store

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// cartAction handles the cart's forms as the real servlet does: the first
// parameter (query string first, then the form) that names an action wins.
func (r *req) cartAction() {
	action := firstAction(r.ctx.QueryArgs())
	if action == "" {
		action = firstAction(r.ctx.PostArgs())
	}
	switch {
	case strings.Contains(action, "addToCart"):
		p, ok := ProductByID(r.intParam("productid", 0))
		if !ok {
			r.notFound("product " + escape([]byte(r.param("productid"))))
			return
		}
		r.sess.Add(p.ID)
		r.set = true
		r.message(msgCookie, "Product "+strconv.Itoa(p.ID)+" is added to cart!")
		r.redirect("/cart")
	case strings.Contains(action, "removeProduct"):
		id, _ := strconv.Atoi(strings.TrimPrefix(action, "removeProduct_"))
		r.sess.Remove(id)
		r.set = true
		r.message(msgCookie, "Product "+strconv.Itoa(id)+" is removed from cart!")
		r.redirect("/cart")
	case strings.Contains(action, "updateCartQuantities"):
		r.updateQuantities()
		r.message(msgCookie, "Your cart is updated!")
		r.redirect("/cart")
	case strings.Contains(action, "proceedtoCheckout"):
		if !r.sess.LoggedIn() {
			r.redirect("/login")
			return
		}
		r.updateQuantities()
		r.redirect("/order")
	case strings.Contains(action, "confirm"):
		r.confirm()
	}
}

// cartActions are the words a cart form's parameter names carry.
var cartActions = []string{"addToCart", "removeProduct", "updateCartQuantities", "proceedtoCheckout", "confirm"}

// firstAction is the first parameter name, in order, that names a cart action.
func firstAction(args *fasthttp.Args) string {
	for k := range args.All() {
		for _, a := range cartActions {
			if bytes.Contains(k, []byte(a)) {
				return string(k)
			}
		}
	}
	return ""
}

func (r *req) updateQuantities() {
	for _, it := range append([]Item(nil), r.sess.Cart...) {
		if n, err := strconv.Atoi(r.param("orderitem_" + strconv.Itoa(it.Product))); err == nil {
			r.sess.SetQuantity(it.Product, n)
		}
	}
	r.set = true
}

// orderFields are the order form's fields; a missing one sends the buyer back.
var orderFields = []string{"firstname", "lastname", "address1", "address2", "cardtype", "cardnumber", "expirydate"}

func (r *req) confirm() {
	for _, f := range orderFields {
		if !r.has(f) {
			r.redirect("/order")
			return
		}
	}
	if !r.sess.LoggedIn() {
		r.redirect("/login")
		return
	}
	cents := 0
	for _, it := range r.sess.Cart {
		p, _ := ProductByID(it.Product)
		cents += p.PriceCents * it.Quantity
	}
	r.sess.Order(Order{Time: time.Now().Unix(), Cents: cents, Name: r.param("firstname") + " " + r.param("lastname"),
		Address1: r.param("address1"), Address2: r.param("address2")})
	r.set = true
	r.message(msgCookie, "Your order is confirmed!")
	r.redirect("/")
}
