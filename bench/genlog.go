//go:build ignore

// genlog writes a Locust-format log of N response lines (with the study's
// other lines between), for the histo benchmark: go run bench/genlog.go N > log
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/perflab/perflab/lib/rtlog"
)

func main() {
	n, _ := strconv.Atoi(os.Args[1])
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()
	t := time.Date(2020, 6, 30, 15, 20, 0, 0, time.Local)
	var b []byte
	for i := 0; i < n; i++ {
		t = t.Add(10 * time.Millisecond) // 100 responses a second
		ms := int64(2000 + (i*7919)%500)
		if i%50000 == 0 {
			ms = 31000
		}
		b = rtlog.AppendResponse(b[:0], t, "Juris-MBP.fritz.box", "RepeatingHttpClient", ms)
		w.Write(b)
		if i%10 == 0 {
			fmt.Fprintf(w, "[%s] Juris-MBP.fritz.box/INFO/RepeatingHttpClient: Sending to http://localhost:1337/fake_call\n", t.Format("2006-01-02 15:04:05,000"))
		}
	}
}
