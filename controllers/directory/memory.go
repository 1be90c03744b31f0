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

package directory

import (
	"runtime/debug"
	"sync"
	"time"
)

const (
	// releaseAfterEmployees is how many employees a sync must have read for the manager to hand the
	// memory it freed back to the operating system when it ends.
	releaseAfterEmployees = 1000
	// releaseEvery is how often that happens at most, whatever the number of Directories syncing.
	releaseEvery = 10 * time.Second
)

// memoryRelease returns to the operating system, after a large sync, the memory that the sync's
// transient (the provider's pages, the desired objects) left free. Go's background scavenger does so
// too, but slowly: without this the process's resident memory creeps up over successive resyncs by
// the pages each one freed, and a pod's memory limit and the kubelet see that, not the live heap.
type memoryRelease struct {
	mu   sync.Mutex
	last time.Time
	// free collects and returns the memory (debug.FreeOSMemory).
	free func()
}

var releaseMemory = &memoryRelease{free: debug.FreeOSMemory}

// after is called when a sync that read employees ends; it reports whether it released memory.
func (m *memoryRelease) after(employees int, now time.Time) bool {
	if employees < releaseAfterEmployees {
		return false
	}
	m.mu.Lock()
	if !m.last.IsZero() && now.Sub(m.last) < releaseEvery {
		m.mu.Unlock()
		return false
	}
	m.last = now
	m.mu.Unlock()
	m.free()
	return true
}
