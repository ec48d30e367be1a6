package main

import "syscall"

// childAttributes makes a function server die with the supervisor, even when it is killed.
func childAttributes() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
