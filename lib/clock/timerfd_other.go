//go:build !linux

package clock

func newKernelTimer() (kernelTimer, bool) { return nil, false }
