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

package accesspeoplehr

import (
	"strings"
	"testing"
)

// className names a class in failure messages.
var className = map[errorClass]string{
	classInvalid: "invalid response", classUnauthorized: "unauthorized", classNoPermission: "no permission",
	classRateLimited: "rate limited", classUnavailable: "unavailable", classEmpty: "empty account",
}

type classCase struct {
	status, message string
	want            errorClass
}

func checkClasses(t *testing.T, cases []classCase) {
	t.Helper()
	for _, c := range cases {
		for _, msg := range []string{c.message, strings.ToUpper(c.message), strings.ToLower(c.message)} {
			if got := classify(c.status, msg); got != c.want {
				t.Errorf("classify(Status %q, %q) = %s, want %s", c.status, msg, className[got], className[c.want])
			}
		}
	}
}

// TestClassifyVendorCodeTable: every Status code and text of the vendor's table (its Swagger, as
// shared/provider-wire.md B2 and shared/providers.md quote it), with the class each means, written
// from that table and not from envelopeRules. The Status decides first: 1 and 2 are a bad key
// whatever the text; 5 is a deleted key, a key without the Get All Employee Detail permission, or a
// rejected field; 6 is the server failing, or an empty account; 10 is an empty account; 3, 4, 7, 8
// and 9 reject the request itself.
func TestClassifyVendorCodeTable(t *testing.T) {
	checkClasses(t, []classCase{
		{"1", "API key is missing.", classUnauthorized},
		{"1", "", classUnauthorized},
		{"2", "Invalid API Key.", classUnauthorized},
		{"2", "Invalid API Key", classUnauthorized},
		{"2", "", classUnauthorized},
		{"2", "Oops! Something went wrong.", classUnauthorized}, // Status first
		{"3", "Action is missing.", classInvalid},
		{"4", "Action cannot be empty.", classInvalid},
		{"4", "Invalid Action.", classInvalid},
		{"5", "API key does not exists.", classUnauthorized},
		{"5", "No access on employee schema.", classNoPermission},
		{"5", "EmployeeId is invalid.", classInvalid}, // a field-validation message
		{"5", "Too many requests", classInvalid},      // Status first: 5 is never throttling
		{"6", "Oops! Something went wrong.", classUnavailable},
		{"6", "Unknown error occured.", classUnavailable},
		{"6", "No record found.", classEmpty},
		{"6", "", classUnavailable},
		{"7", "No json data found.", classInvalid},
		{"8", "Either empty or no Form Data.", classInvalid},
		{"9", "Invalid json data.", classInvalid},
		{"9", "Service temporarily unavailable", classInvalid}, // Status first
		{"10", "No record found.", classEmpty},
		{"10", "No detail has been found.", classEmpty},
		{"10", "", classEmpty},
	})
}

// TestClassifyVendorTextsWithoutTheirStatus: the vendor's texts under a Status its table does not have
// (none, or one it may add): the text alone decides, with the same meaning as under its own code. The
// texts that reject the request (3, 4, 7, 8, 9) stay invalid responses, and "No detail has been found."
// alone is not enough to call the account empty (an empty snapshot deletes objects): invalid.
func TestClassifyVendorTextsWithoutTheirStatus(t *testing.T) {
	var cases []classCase
	for _, status := range []string{"", "0", "11", "E42"} {
		cases = append(cases,
			classCase{status, "API key is missing.", classUnauthorized},
			classCase{status, "Invalid API Key.", classUnauthorized},
			classCase{status, "Invalid API Key", classUnauthorized},
			classCase{status, "API key does not exists.", classUnauthorized},
			classCase{status, "No access on employee schema.", classNoPermission},
			classCase{status, "Oops! Something went wrong.", classUnavailable},
			classCase{status, "Unknown error occured.", classUnavailable},
			classCase{status, "No record found.", classEmpty},
			classCase{status, "No detail has been found.", classInvalid},
			classCase{status, "Action is missing.", classInvalid},
			classCase{status, "Action cannot be empty.", classInvalid},
			classCase{status, "Invalid Action.", classInvalid},
			classCase{status, "No json data found.", classInvalid},
			classCase{status, "Either empty or no Form Data.", classInvalid},
			classCase{status, "Invalid json data.", classInvalid},
		)
	}
	checkClasses(t, cases)
}

// TestClassifyOtherTexts: texts the vendor does not document, under a Status outside its table. The
// throttling answer is only "an exception message" (30 calls a minute per source IP), so throttling
// words win over key words; then an empty account, a key without permission, a bad key, and the
// server failing; anything else is an invalid response (shown to the user, not retried).
func TestClassifyOtherTexts(t *testing.T) {
	checkClasses(t, []classCase{
		{"429", "Too many requests. Please try again later.", classRateLimited},
		{"11", "API key exceeded the rate limit of 30 calls a minute", classRateLimited},
		{"12", "Request throttled", classRateLimited},
		{"12", "Invalid key: calls throttled", classRateLimited},
		{"", "Daily call limit exceeded", classRateLimited},
		{"", "You do not have permission to read employees", classNoPermission},
		{"", "No record found for the permission", classEmpty},
		{"", "The API key has expired", classUnauthorized},
		{"", "This key is not valid", classUnauthorized},
		{"", "The API key was revoked", classUnauthorized},
		{"", "Unauthorised", classUnauthorized},
		{"", "Request unauthorized", classUnauthorized},
		{"", "You are not authorised to use this API", classUnauthorized},
		{"", "You are not authorized", classUnauthorized},
		{"", "Access denied", classUnauthorized},
		{"", "Invalid key, please try again", classUnauthorized},
		{"", "Key revoked: service unavailable", classUnauthorized},
		{"503", "Service temporarily down", classUnavailable},
		{"503", "Service Unavailable", classUnavailable},
		{"", "Please try again", classUnavailable},
		{"", "Gateway timeout", classUnavailable},
		{"", "The operation timed out", classUnavailable},
		{"", "Down for maintenance", classUnavailable},
		{"500", "Internal Server Error", classUnavailable},
		{"", "Invalid request", classInvalid}, // "invalid" without "key"
		{"", "Key format", classInvalid},      // "key" without "invalid"
		{"", "Expired session", classInvalid}, // "expired" without "key"
		{"", "Value not valid", classInvalid}, // "not valid" without "key"
		{"42", "Object reference not set to an instance of an object.", classInvalid},
		{"42", "", classInvalid},
	})
}
