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
// thinking user takes about 200 bytes of live heap (its struct, its random
// generator, its entry among the sleepers and in its group;
// BenchmarkSleepingUsers), and fire's RSS at 10^6 devices was 0.6–0.7 GB
// (bench/fire_devices.sh): 600 bytes a user with the garbage collector's
// headroom and the run's other costs, rounded up.
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
