// Package store is teasim's model of the TeaStore WebUI: the catalogue,
// the session blob, the pages and actions, and the processing-time model.
package store

import "fmt"

// Category of the catalogue (ids 2–6, as the real TeaStore's).
type Category struct {
	ID          int
	Name        string
	Description string
}

// Product of the catalogue (ids 7–506).
type Product struct {
	ID          int
	Category    int
	Name        string
	Description string
	PriceCents  int
}

// Categories of the generated catalogue.
var Categories = []Category{
	{2, "Black Tea", "Strong and full of taste"},
	{3, "Green Tea", "Fresh and grassy"},
	{4, "Herbal Tea", "Caffeine free infusions"},
	{5, "Rooibos Tea", "Sweet red bush"},
	{6, "White Tea", "Delicate and rare"},
}

const (
	firstProduct = 7
	lastProduct  = 506
	perCategory  = (lastProduct - firstProduct + 1) / 5
)

// ProductByID returns the product, or false.
func ProductByID(id int) (Product, bool) {
	if id < firstProduct || id > lastProduct {
		return Product{}, false
	}
	c := Categories[(id-firstProduct)/perCategory]
	n := (id-firstProduct)%perCategory + 1
	return Product{ID: id, Category: c.ID, Name: fmt.Sprintf("%s no. %d", c.Name, n),
		Description: fmt.Sprintf("A fine %s, blend %d.", c.Name, n), PriceCents: 299 + (id*37)%2000}, true
}

// CategoryByID returns the category, or false.
func CategoryByID(id int) (Category, bool) {
	for _, c := range Categories {
		if c.ID == id {
			return c, true
		}
	}
	return Category{}, false
}

// ProductsOf returns page (from 1) of a category's products, n per page, and the page count.
func ProductsOf(cat, page, n int) ([]Product, int) {
	first := firstProduct + (cat-2)*perCategory
	pages := (perCategory + n - 1) / n
	var out []Product
	for i := (page - 1) * n; i < page*n && i < perCategory; i++ {
		p, _ := ProductByID(first + i)
		out = append(out, p)
	}
	return out, pages
}

// ValidUser reports whether name/password log in: user0, user1, … with "password".
func ValidUser(name, password string) (int, bool) {
	var id int
	if _, err := fmt.Sscanf(name, "user%d", &id); err != nil || id < 0 || fmt.Sprintf("user%d", id) != name {
		return 0, false
	}
	return id, password == "password"
}
