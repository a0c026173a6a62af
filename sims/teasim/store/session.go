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
	UID      int    `json:"uid,omitempty"`
	Username string `json:"user,omitempty"`
	Cart     []Item `json:"cart,omitempty"`
	Orders   int    `json:"orders,omitempty"`
	PerPage  int    `json:"pp,omitempty"`
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
