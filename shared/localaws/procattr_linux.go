package localaws

import "syscall"

// ChildProcAttr puts a test's server process in its own group (so it can
// be stopped with its children) and has the kernel stop it if the test
// binary dies first, so no server outlives a crashed test run.
func ChildProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
