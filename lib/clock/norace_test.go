//go:build !race

package clock

const raced = false
