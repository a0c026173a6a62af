package fire

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// BytesPerUser is what fire counts a started closed-model user to cost,
// for refusing a user count that cannot fit in memory. Measured: a
// thinking user takes 149 bytes of live heap (its struct, its random
// generator, its entry among the sleepers and in its group;
// BenchmarkSleepingUsers), and fire's peak RSS at 10^6 devices was 263 MB,
// 276 bytes a device (bench/fire_devices.sh). 700 leaves room for the
// garbage collector's headroom while a backlog of due users waits in the
// queue (a slow server), and for smaller counts, where fixed costs weigh more.
const BytesPerUser = 700

// availableMemory is the memory this machine has available (Linux:
// MemAvailable), or 16 GiB where that is unknown.
func availableMemory() int64 {
	if f, err := os.Open("/proc/meminfo"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:"); ok {
				kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
				if err == nil {
					return kb << 10
				}
			}
		}
	}
	return 16 << 30
}

// bytesText writes n bytes for people: "1.5 GB".
func bytesText(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	f, i := float64(n), 0
	for f >= unit && i < 6 {
		f /= unit
		i++
	}
	return fmt.Sprintf("%.1f %cB", f, "kMGTPE"[i-1])
}
