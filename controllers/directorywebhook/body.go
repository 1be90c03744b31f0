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

package directorywebhook

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	dirsyncv1alpha1 "github.com/dirsync/dirsync/api/v1alpha1"
)

// The bodies are built only from these structs, whose fields are the README's privacy allowlist as a
// DirectoryUser holds it: a field that is not declared here cannot reach a receiver.

// userData is a person in an event, shaped like WorkOS's directory_user.
type userData struct {
	Object           string            `json:"object"`
	ID               string            `json:"id"`
	DirectoryID      string            `json:"directory_id"`
	IdpID            string            `json:"idp_id"`
	FirstName        string            `json:"first_name,omitempty"`
	LastName         string            `json:"last_name,omitempty"`
	Username         string            `json:"username,omitempty"`
	Emails           []email           `json:"emails"`
	State            string            `json:"state"`
	CustomAttributes *customAttributes `json:"custom_attributes,omitempty"`
	Groups           []groupData       `json:"groups"`
	CreatedAt        string            `json:"created_at,omitempty"`
	UpdatedAt        string            `json:"updated_at,omitempty"`
}

// customAttributes are the allowlisted work fields WorkOS's directory_user has no field of its own for.
type customAttributes struct {
	DisplayName            string `json:"display_name,omitempty"`
	PreferredName          string `json:"preferred_name,omitempty"`
	JobTitle               string `json:"job_title,omitempty"`
	EmploymentStatus       string `json:"employment_status,omitempty"`
	EmploymentType         string `json:"employment_type,omitempty"`
	Location               string `json:"location,omitempty"`
	Division               string `json:"division,omitempty"`
	Company                string `json:"company,omitempty"`
	ManagerID              string `json:"manager_id,omitempty"`
	ManagerEmail           string `json:"manager_email,omitempty"`
	ManagerDirectoryUserID string `json:"manager_directory_user_id,omitempty"`
	StartDate              string `json:"start_date,omitempty"`
	EndDate                string `json:"end_date,omitempty"`
}

// email is one of a person's addresses; dirsync knows only the work address.
type email struct {
	Primary bool   `json:"primary"`
	Type    string `json:"type"`
	Value   string `json:"value"`
}

// groupData is a group in an event, shaped like WorkOS's directory_group, plus its dirsync type.
type groupData struct {
	Object      string `json:"object"`
	ID          string `json:"id"`
	DirectoryID string `json:"directory_id"`
	IdpID       string `json:"idp_id,omitempty"`
	Name        string `json:"name"`
	Type        string `json:"type,omitempty"`
	CreatedAt   string `json:"created_at,omitempty"`
	UpdatedAt   string `json:"updated_at,omitempty"`
}

// membershipData is the data of group.user_added and user_removed.
type membershipData struct {
	DirectoryID string    `json:"directory_id"`
	User        userData  `json:"user"`
	Group       groupData `json:"group"`
}

// workosEvent is a WorkOS-format body.
type workosEvent struct {
	ID        string          `json:"id"`
	Event     string          `json:"event"`
	Data      any             `json:"data"`
	CreatedAt string          `json:"created_at"`
	Context   json.RawMessage `json:"context"`
}

// cloudEvent is a CloudEvents 1.0 structured-mode JSON body.
type cloudEvent struct {
	SpecVersion     string `json:"specversion"`
	Type            string `json:"type"`
	Source          string `json:"source"`
	Subject         string `json:"subject"`
	ID              string `json:"id"`
	Time            string `json:"time"`
	DataContentType string `json:"datacontenttype"`
	Data            any    `json:"data"`
}

// objectID is the id events give an object of the namespace: "<namespace>.<name>". Namespaces have no
// dots, so it is unambiguous; it has no "/", so it fits in a URL path; and a DirectoryUser's name never
// changes while the person's HR id does not, so neither does the id.
func objectID(namespace, name string) string { return namespace + "." + name }

// stateText is WorkOS's user state.
func stateText(active bool) string {
	if active {
		return "active"
	}
	return "inactive"
}

// userFields is what a user event says about u, without groups and times: the content that userHash
// covers. namespace and directory come from the object itself.
func userFields(u *dirsyncv1alpha1.DirectoryUser) userData {
	s := &u.Spec
	d := userData{
		Object: "directory_user", ID: objectID(u.Namespace, u.Name), DirectoryID: objectID(u.Namespace, s.DirectoryRef.Name),
		IdpID: s.ExternalID, FirstName: s.FirstName, LastName: s.LastName, Username: s.Email,
		Emails: []email{}, State: stateText(s.State != dirsyncv1alpha1.UserStateInactive),
	}
	if s.Email != "" {
		d.Emails = []email{{Primary: true, Type: "work", Value: s.Email}}
	}
	attrs := customAttributes{DisplayName: s.DisplayName, PreferredName: s.PreferredName, JobTitle: s.JobTitle,
		EmploymentStatus: s.EmploymentStatus, EmploymentType: s.EmploymentType, Location: s.Location, Division: s.Division,
		Company: s.Company, ManagerID: s.ManagerExternalID, ManagerEmail: s.ManagerEmail, StartDate: s.StartDate, EndDate: s.EndDate}
	if s.ManagerRef != nil {
		attrs.ManagerDirectoryUserID = objectID(u.Namespace, s.ManagerRef.Name)
	}
	if attrs != (customAttributes{}) {
		d.CustomAttributes = &attrs
	}
	return d
}

// groupFields is what a group event says about g, times aside: the content groupHash covers.
func groupFields(g *dirsyncv1alpha1.DirectoryGroup) groupData {
	return groupData{Object: "directory_group", ID: objectID(g.Namespace, g.Name), DirectoryID: objectID(g.Namespace, g.Spec.DirectoryRef.Name),
		IdpID: g.Spec.ExternalID, Name: g.Spec.DisplayName, Type: string(g.Spec.Type)}
}

// goneUser is what a user event says about a person whose DirectoryUser is gone: identifiers and the
// last state told, from the record, which keeps nothing else about a person.
func goneUser(namespace, directory, key string, e *entry) userData {
	return userData{Object: "directory_user", ID: objectID(namespace, key), DirectoryID: objectID(namespace, directory),
		IdpID: e.idpID, Emails: []email{}, State: stateText(e.active), Groups: []groupData{}}
}

// goneGroup is what a group event says about a group that is gone, from the record.
func goneGroup(namespace, directory, key string, e *entry) groupData {
	return groupData{Object: "directory_group", ID: objectID(namespace, key), DirectoryID: objectID(namespace, directory),
		IdpID: e.idpID, Name: e.name, Type: e.typ}
}

// eventID is an event's id: the same for the same event of the same webhook, so a receiver can drop a
// redelivery, and different for anything else (sequence numbers never repeat for an object; see record).
func eventID(webhookUID string, e *event) string {
	var b strings.Builder
	b.WriteString(webhookUID)
	b.WriteByte('\n')
	b.WriteString(e.key)
	b.WriteByte('\n')
	b.WriteString(strconv.FormatUint(uint64(e.seq), 10))
	b.WriteByte('\n')
	b.WriteString(string(e.typ))
	b.WriteByte('\n')
	b.WriteString(e.group)
	b.WriteByte('\n')
	b.WriteString(strconv.FormatUint(e.hash, 16))
	sum := sha256.Sum256([]byte(b.String()))
	return "event_" + hex.EncodeToString(sum[:16])
}

// cloudEventType is the CloudEvents type of e: io.dirsync.<object>.<action>.v1, with a user update that
// deactivates someone as its own type.
func cloudEventType(e *event) string {
	t := strings.TrimPrefix(string(e.typ), "dsync.")
	if e.typ == dirsyncv1alpha1.EventUserUpdated && e.deactivated {
		t = "user.deactivated"
	}
	return "io.dirsync." + t + ".v1"
}

// renderInput is what rendering an event needs besides the event.
type renderInput struct {
	format     dirsyncv1alpha1.WebhookFormat
	webhookUID string
	namespace  string
	directory  string
	// at is the event's time (created_at, time).
	at time.Time
}

// render is the body of e: WorkOS's shape or a CloudEvent, with the data the event's plan captured.
func render(in renderInput, e *event) ([]byte, error) {
	id := eventID(in.webhookUID, e)
	at := in.at.UTC().Format(time.RFC3339Nano)
	if in.format == dirsyncv1alpha1.WebhookFormatCloudEvents {
		return json.Marshal(cloudEvent{SpecVersion: "1.0", Type: cloudEventType(e),
			Source:  "/apis/dirsync.io/v1alpha1/namespaces/" + in.namespace + "/directories/" + in.directory,
			Subject: subject(e), ID: id, Time: at, DataContentType: "application/json", Data: e.data})
	}
	return json.Marshal(workosEvent{ID: id, Event: string(e.typ), Data: e.data, CreatedAt: at, Context: json.RawMessage("{}")})
}

// subject is a CloudEvent's subject: the object the event is about, as a path of the namespace.
func subject(e *event) string {
	switch {
	case e.group != "" && e.kind == kindUser:
		return "directorygroups/" + e.group + "/members/" + e.key
	case e.kind == kindGroup:
		return "directorygroups/" + e.key
	}
	return "directoryusers/" + e.key
}
