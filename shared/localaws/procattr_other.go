//go:build unix && !linux

package localaws

import "syscall"

// ChildProcAttr puts a test's server process in its own group, so it can
// be stopped with its children. (Only Linux can also tie its life to the
// test binary's.)
func ChildProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
