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
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/dirsync/dirsync/internal/provider"
)

// apiEmployee is the privacy allowlist: the only parts of an employee record that are ever decoded.
// Everything else in the record (DateOfBirth, NISNumber, Gender, Nationality, OtherName, ContactDetail with
// the address, phones and personal e-mail, BankDetail, salary columns, histories…) is skipped by the
// decoder: it passes through memory only as the bytes of the response being decoded, never as a value.
// The tags are the API's own spelling (EmployeeId, where the Go field is EmployeeID).
type apiEmployee struct {
	EmployeeID            field `json:"EmployeeId"`
	FirstName             field `json:"FirstName"`
	LastName              field `json:"LastName"`
	KnownAs               field `json:"KnownAs"`
	EmailID               field `json:"EmailId"`
	StartDate             field `json:"StartDate"`
	LeavingDate           field `json:"LeavingDate"`
	JobRole               field `json:"JobRole"`
	Department            field `json:"Department"`
	Location              field `json:"Location"`
	Company               field `json:"Company"`
	EmploymentType        field `json:"EmploymentType"`
	ReportsTo             field `json:"ReportsTo"`
	ReportsToEmployeeID   field `json:"ReportsToEmployeeId"`
	ReportsToEmailAddress field `json:"ReportsToEmailAddress"`
}

// field is one allowlisted value. The API wraps values as {"DisplayValue": "…", "FieldHistory": […]}
// (history ignored); LeavingDate arrives as a bare string in every public sample, so a bare string is
// accepted too. A missing field, null, a null DisplayValue and "" all read as "". Text is trimmed.
type field struct {
	text string
}

// errFieldType is wrapped when an allowlisted field holds something that is not text.
var errFieldType = errors.New("a field holds neither text nor a {DisplayValue} object")

func (f *field) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var w struct {
			DisplayValue json.RawMessage
		}
		if err := json.Unmarshal(b, &w); err != nil {
			return err
		}
		b = w.DisplayValue
	}
	s, ok := scalarText(b)
	if !ok {
		return errFieldType
	}
	f.text = strings.TrimSpace(s)
	return nil
}

// scalarText reads a JSON string, number or null as text.
func scalarText(b []byte) (string, bool) {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		return "", true
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return "", false
		}
		return s, true
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return "", false
		}
		return n.String(), true
	default:
		return "", false
	}
}

// resultKind is what the envelope's Result held.
type resultKind int

const (
	resultMissing resultKind = iota
	resultArray
	resultOther
)

// envelope is the API's answer: {"isError": false, "Status": 0, "Message": "…", "Result": [ … ]}.
type envelope struct {
	isError    bool
	hasIsError bool
	status     string // as sent: a number, or text when the API sends one
	message    string
	result     resultKind
	records    []apiEmployee
	// limit is the most records the decoder keeps: one more is a *provider.TooManyEmployeesError.
	limit int
}

// decodeResponse reads one GetAllEmployeeDetail answer into employees and departments. today is the UTC
// calendar date (YYYY-MM-DD) leaving dates are compared with; apiKey is redacted from any error text.
// An answer with more than limit records (provider.Config.EmployeeLimit) is a
// *provider.TooManyEmployeesError, found before the records past the limit are decoded.
func decodeResponse(r io.Reader, today, apiKey string, limit int) ([]provider.Employee, []provider.Department, error) {
	env, err := decodeEnvelope(r, limit)
	if err != nil {
		return nil, nil, withoutKey(err, apiKey)
	}
	switch {
	case !env.hasIsError:
		return nil, nil, invalid("the response is not an Access People HR envelope: it has no isError")
	case env.isError:
		class := classify(env.status, env.message)
		if class == classEmpty { // "No record found.": an account without employees
			return []provider.Employee{}, []provider.Department{}, nil
		}
		return nil, nil, withoutKey(envelopeError(class, env.status, env.message, apiKey), apiKey)
	case env.result == resultMissing:
		return nil, nil, invalid("the envelope has no Result")
	case env.result != resultArray:
		return nil, nil, invalid("the envelope's Result is not a list of employees")
	}
	emps, depts, err := toSnapshot(env.records, today)
	if err != nil {
		return nil, nil, withoutKey(err, apiKey)
	}
	return emps, depts, nil
}

func invalid(msg string) error {
	return fmt.Errorf("accesspeoplehr: %s: %w", msg, provider.ErrInvalidResponse)
}

// decodeEnvelope stream-decodes the envelope: Result's records are decoded one at a time, the rest of the
// document is walked token by token and skipped. Keys match case-insensitively (one public sample spells
// it "IsError"); a key twice, trailing data or a cut-off body makes the response invalid.
func decodeEnvelope(r io.Reader, limit int) (*envelope, error) {
	dec := json.NewDecoder(&stickyReader{r: r})
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	env := &envelope{limit: limit}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, readError(err)
		}
		key, _ := tok.(string)
		name := strings.ToLower(key)
		if name == "iserror" || name == "status" || name == "message" || name == "result" {
			if seen[name] {
				return nil, invalid("the envelope has " + key + " twice")
			}
			seen[name] = true
		}
		if err := decodeEnvelopeField(dec, env, name); err != nil {
			return nil, readError(err)
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, err
	}
	if err := expectEnd(dec); err != nil {
		return nil, err
	}
	return env, nil
}

// decodeEnvelopeField decodes the value of one envelope key (lower-cased), skipping unknown keys.
func decodeEnvelopeField(dec *json.Decoder, env *envelope, name string) error {
	switch name {
	case "iserror":
		return decodeIsError(dec, env)
	case "status":
		return decodeStatus(dec, env)
	case "message":
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		env.message, _ = scalarText(raw)
		return nil
	case "result":
		return decodeResult(dec, env)
	}
	return skipValue(dec)
}

// expectEnd fails when anything but white space follows the envelope.
func expectEnd(dec *json.Decoder) error {
	_, err := dec.Token()
	switch {
	case err == io.EOF:
		return nil
	case err != nil:
		return readError(err)
	}
	return invalid("the response has data after the envelope")
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return readError(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return invalid("the response is not a JSON object")
	}
	return nil
}

// decodeIsError accepts true/false and the strings "true"/"false" (any case).
func decodeIsError(dec *json.Decoder, env *envelope) error {
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	s := string(bytes.TrimSpace(raw))
	if strings.HasPrefix(s, `"`) {
		_ = json.Unmarshal(raw, &s)
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		env.isError = true
	case "false":
		env.isError = false
	default:
		return invalid("the envelope's isError is not a boolean")
	}
	env.hasIsError = true
	return nil
}

// decodeStatus keeps the Status, which classifies an error envelope; an odd type reads as no Status.
func decodeStatus(dec *json.Decoder, env *envelope) error {
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	if s, ok := scalarText(raw); ok {
		env.status = provider.OneLine(s, 20)
	}
	return nil
}

func decodeResult(dec *json.Decoder, env *envelope) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	d, isDelim := tok.(json.Delim)
	switch {
	case isDelim && d == '[':
		env.result = resultArray
		for dec.More() {
			if len(env.records) >= env.limit {
				return fmt.Errorf("accesspeoplehr: %w", &provider.TooManyEmployeesError{Limit: env.limit})
			}
			var rec apiEmployee
			if err := dec.Decode(&rec); err != nil {
				return err
			}
			env.records = append(env.records, rec)
		}
		_, err := dec.Token() // ']'
		return err
	case isDelim: // '{': walk past the object
		env.result = resultOther
		return skipRest(dec)
	case tok == nil:
		env.result = resultOther // null
		return nil
	default:
		env.result = resultOther
		return nil
	}
}

// skipValue walks past the next value without keeping it.
func skipValue(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); ok && (d == '{' || d == '[') {
		return skipRest(dec)
	}
	return nil
}

// skipRest walks to the end of the object or array whose opening delimiter was just read.
func skipRest(dec *json.Decoder) error {
	for depth := 1; depth > 0; {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
	}
	return nil
}

// readError classifies an error met while reading the body. Over the cap, bad JSON, a wrong type or a
// body cut short are an invalid response; a network failure or timeout mid-body is an outage.
func readError(err error) error {
	var (
		ne  net.Error
		se  *json.SyntaxError
		ute *json.UnmarshalTypeError
	)
	var tooMany *provider.TooManyEmployeesError
	switch {
	case errors.As(err, &tooMany):
		return err
	case errors.Is(err, provider.ErrInvalidResponse): // already classified (body cap, our own checks)
		if errors.Is(err, provider.ErrBodyTooLarge) {
			return fmt.Errorf("accesspeoplehr: reading the response: %w", err)
		}
		return err
	case errors.Is(err, errFieldType):
		return invalid("an employee record has a field that is not text")
	case errors.As(err, &se):
		return invalid(fmt.Sprintf("the response is not valid JSON (at byte %d)", se.Offset))
	case errors.As(err, &ute):
		return invalid("the response has a value of the wrong type (" + ute.Value + ")")
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return invalid("the response body ended early")
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return fmt.Errorf("accesspeoplehr: the response timed out mid-body: %w", provider.ErrUnavailable)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("accesspeoplehr: the request was cancelled mid-body: %w", provider.ErrUnavailable)
	case errors.As(err, &ne):
		return fmt.Errorf("accesspeoplehr: the connection failed mid-body: %w", provider.ErrUnavailable)
	default:
		return invalid("the response could not be read")
	}
}

// stickyReader returns its first error on every later Read. json.Decoder.More swallows a read error and
// the decoder reads again; without this, the body cap's error would turn into a plain early EOF.
type stickyReader struct {
	r   io.Reader
	err error
}

func (s *stickyReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.r.Read(p)
	s.err = err
	return n, err
}
