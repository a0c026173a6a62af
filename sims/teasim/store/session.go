package store

import (
	"encoding/base64"
	"encoding/json"
)

// Item is a cart line.
type Item struct {
	Product  int `json:"p"`
	Quantity int `json:"q"`
}

// Session is what the sessionBlob cookie carries, as in the real WebUI
// (which keeps no server-side session state).
type Session struct {
	UID      int     `json:"uid,omitempty"`
	Username string  `json:"user,omitempty"`
	Cart     []Item  `json:"cart,omitempty"`
	Orders   []Order `json:"orders,omitempty"` // the latest maxOrders
	Placed   int     `json:"placed,omitempty"` // orders placed in all
}

// Order is a confirmed order, as the profile lists it.
type Order struct {
	ID       int    `json:"id"`
	Time     int64  `json:"t"` // Unix seconds
	Cents    int    `json:"c"`
	Name     string `json:"n"`
	Address1 string `json:"a1"`
	Address2 string `json:"a2"`
}

// maxOrders bounds the orders a session blob carries (a cookie stays small).
const maxOrders = 10

// Order empties the cart into a new order.
func (s *Session) Order(o Order) {
	s.Placed++
	o.ID = s.Placed
	for _, f := range []*string{&o.Name, &o.Address1, &o.Address2} {
		if len(*f) > 100 {
			*f = (*f)[:100]
		}
	}
	s.Orders = append(s.Orders, o)
	if len(s.Orders) > maxOrders {
		s.Orders = s.Orders[len(s.Orders)-maxOrders:]
	}
	s.Cart = nil
}

// LoggedIn reports whether a user is logged in.
func (s *Session) LoggedIn() bool { return s.Username != "" }

// Encode returns the cookie value.
func (s *Session) Encode() string {
	b, _ := json.Marshal(s)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeSession reads a cookie value; a broken one is an empty session.
func DecodeSession(v []byte) Session {
	var s Session
	if len(v) == 0 {
		return s
	}
	b, err := base64.RawURLEncoding.DecodeString(string(v))
	if err != nil || json.Unmarshal(b, &s) != nil {
		return Session{}
	}
	if len(s.Cart) > 100 {
		s.Cart = s.Cart[:100]
	}
	if len(s.Orders) > maxOrders {
		s.Orders = s.Orders[len(s.Orders)-maxOrders:]
	}
	return s
}

// Add puts quantity 1 of a product in the cart (or one more).
func (s *Session) Add(pid int) {
	for i := range s.Cart {
		if s.Cart[i].Product == pid {
			s.Cart[i].Quantity++
			return
		}
	}
	if len(s.Cart) < 100 {
		s.Cart = append(s.Cart, Item{pid, 1})
	}
}

// Remove takes a product out of the cart.
func (s *Session) Remove(pid int) {
	for i := range s.Cart {
		if s.Cart[i].Product == pid {
			s.Cart = append(s.Cart[:i], s.Cart[i+1:]...)
			return
		}
	}
}

// SetQuantity changes a line's quantity (0 removes it).
func (s *Session) SetQuantity(pid, q int) {
	if q <= 0 {
		s.Remove(pid)
		return
	}
	for i := range s.Cart {
		if s.Cart[i].Product == pid {
			s.Cart[i].Quantity = min(q, 1000)
		}
	}
}
