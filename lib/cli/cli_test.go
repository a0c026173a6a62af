package cli

import (
	"errors"
	"fmt"
	"testing"
)

func TestCodes(t *testing.T) {
	cases := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{&ExitError{Code: ExitRequirement, Err: errors.New("violated")}, 1},
		{fmt.Errorf("wrapped: %w", &ExitError{Code: ExitNoSat, Err: errors.New("none")}), 3},
		{Usagef("bad %s", "flag"), 2},
		{errors.New("disk full"), 2}, // never 1: that means a requirement was violated
	}
	for _, c := range cases {
		if got := Code(c.err); got != c.want {
			t.Errorf("%v: %d, want %d", c.err, got, c.want)
		}
	}
	if Usage(nil) != nil {
		t.Error("Usage(nil) must be nil")
	}
}
