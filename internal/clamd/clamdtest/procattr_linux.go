package clamdtest

import "syscall"

// sysProcAttr has the kernel kill clamd if the test binary dies first.
//
// QUIRK: Linux sends the death signal when the thread that started the
// child exits, not the process. The Go runtime keeps its threads unless a
// goroutine exits while locked to one, which test code here never does.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
