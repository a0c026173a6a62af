//go:build race

package clock

// raced: the race detector makes every hand-off many times slower, so
// lateness bounds mean nothing; what is checked is that every waiter wakes,
// never early.
const raced = true
