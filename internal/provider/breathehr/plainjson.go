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

package breathehr

import "bytes"

// A 10,000-employee listing is read every sync, and encoding/json allocates a decoder for every nested
// json.Unmarshal the wire types' UnmarshalJSON methods make (about fifteen per employee). The helpers
// below read the common shapes — a string without escapes, an object of such keys — directly from the
// bytes encoding/json has already validated; anything else goes through encoding/json as before.
// FuzzPlainJSON checks that both ways read every input alike.

// plainString is the text of b when b is a JSON string of printable ASCII without escapes, which
// encoding/json decodes to exactly its bytes; ok is false for anything else.
func plainString(b []byte) (s string, ok bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	if in := b[1 : len(b)-1]; isPlainASCII(in) {
		return string(in), true
	}
	return "", false
}

// isPlainASCII reports whether b is printable ASCII without quotes or backslashes.
func isPlainASCII(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// asciiEqualFold reports whether b equals s ignoring ASCII case, as encoding/json matches a plain key
// to a field name.
func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c, d := b[i], s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if 'A' <= d && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}

// eachMember calls f with the key (quotes included) and the value of each member of obj, a JSON
// object, in order, and stops when f returns false; it reports whether every call returned true. obj
// should be valid JSON (as the bytes encoding/json hands an UnmarshalJSON method are): it is not
// validated, but a malformed key or a missing colon stops it with false rather than a panic.
func eachMember(obj []byte, f func(key, val []byte) bool) bool {
	i := skipSpace(obj, 1)
	for i < len(obj) && obj[i] != '}' {
		if obj[i] != '"' {
			return false
		}
		k := endOfString(obj, i)
		key := obj[i:k]
		if i = skipSpace(obj, k); len(key) < 2 || i >= len(obj) || obj[i] != ':' {
			return false
		}
		i = skipSpace(obj, i+1)
		v := endOfValue(obj, i)
		if !f(key, obj[i:v]) {
			return false
		}
		i = skipSpace(obj, v)
		if i < len(obj) && obj[i] == ',' {
			i = skipSpace(obj, i+1)
		}
	}
	return true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// endOfString is the index just past the string that starts at b[i] (a quote).
func endOfString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// endOfValue is the index just past the value that starts at b[i].
func endOfValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return endOfString(b, i)
	case '{', '[':
		return endOfContainer(b, i)
	default: // a number, true, false or null
		for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && !isSpace(b[i]) {
			i++
		}
		return i
	}
}

// endOfContainer is the index just past the object or array that starts at b[i].
func endOfContainer(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			i = endOfString(b, i) - 1
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return i + 1
			}
		}
	}
	return len(b)
}

// longestList is the number of elements of the longest array among the members of body, a JSON
// object (as a page is): counted without decoding, so that a page's length can be refused before it
// sizes anything. Malformed input gives what was counted before it went wrong; the decoder then
// reports it.
func longestList(body []byte) int {
	obj := bytes.TrimSpace(body)
	if len(obj) == 0 || obj[0] != '{' {
		return 0
	}
	longest := 0
	eachMember(obj, func(_, val []byte) bool {
		if len(val) > 0 && val[0] == '[' {
			longest = max(longest, countElements(val))
		}
		return true
	})
	return longest
}

// countElements counts the elements of arr, a JSON array.
func countElements(arr []byte) int {
	n := 0
	for i := skipSpace(arr, 1); i < len(arr) && arr[i] != ']'; {
		end := endOfValue(arr, i)
		if end == i { // no value here (a stray comma, say): malformed
			return n
		}
		n++
		if i = skipSpace(arr, end); i < len(arr) && arr[i] == ',' {
			i = skipSpace(arr, i+1)
		}
	}
	return n
}
