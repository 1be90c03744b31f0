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

package directoryaccess

import (
	"sync/atomic"
	"time"
)

// shiftClock is the real clock moved by an offset a test sets: the controller's requeue timers run on
// real time, so a test that needs a date boundary puts "now" a few seconds before it.
type shiftClock struct{ offset atomic.Int64 }

func (c *shiftClock) Now() time.Time                  { return time.Now().Add(time.Duration(c.offset.Load())).UTC() }
func (c *shiftClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// setNow makes Now() return t now (and t+d after d).
func (c *shiftClock) setNow(t time.Time) { c.offset.Store(int64(time.Until(t))) }
func (c *shiftClock) reset()             { c.offset.Store(0) }
