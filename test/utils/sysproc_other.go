//go:build !linux

/*
Copyright 2026 The dirsync Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package utils

import (
	"os"
	"syscall"
)

// childProcAttr: without Linux's Pdeathsig, children rely on the caller's Stop and on the shell
// backstops (pid files).
func childProcAttr() *syscall.SysProcAttr { return nil }

// watchdogProcAttr: the watchdog shares the caller's process group here.
func watchdogProcAttr() *syscall.SysProcAttr { return nil }

// killGroup kills the process pid (process groups are a Linux-only nicety here).
func killGroup(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}
