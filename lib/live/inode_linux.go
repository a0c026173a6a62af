//go:build linux

package live

import (
	"os"
	"syscall"
)

// inode identifies a file, so a file replaced under the same name (log
// rotation) is noticed.
func inode(st os.FileInfo) uint64 {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return s.Ino
	}
	return 0
}
