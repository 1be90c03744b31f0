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

// Package fakehr holds what the fake HR servers share: a provider-neutral company model, a seeded
// generator, fault kinds, and the Server interface that the controller tests drive, so that one
// scenario table runs against every provider's fake.
package fakehr

import (
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"time"
)

// Status is an employee's employment status in provider-neutral terms. Each fake renders it in its
// provider's wire format (Breathe: status text; Access People HR: leaving date relative to today).
type Status string

const (
	// Current is a current employee.
	Current Status = "Current"
	// PendingLeaver has a leaving date ahead.
	PendingLeaver Status = "PendingLeaver"
	// Former has left.
	Former Status = "Former"
)

// Employee is one person in a fake company. The personal fields exist so that tests can prove they
// are never copied anywhere.
type Employee struct {
	// ID is the provider's id: decimal digits for Breathe HR, text such as "PW12" for Access People HR.
	ID           string
	FirstName    string
	MiddleName   string
	LastName     string
	KnownAs      string
	Email        string
	JobTitle     string
	Status       Status
	DepartmentID string // "" when in no department
	ManagerID    string // "" when no line manager
	StartDate    string // YYYY-MM-DD
	LeavingDate  string // YYYY-MM-DD or ""

	// Where and how they work. Each fake sends what its provider has: Breathe HR a location and a
	// division with ids and full_or_part_time; Access People HR a Location, a Company and an
	// EmploymentType, all by name.
	Location       Ref    // zero when unset
	Division       Ref    // Breathe HR only; zero when unset
	Company        string // the employing legal entity (Access People HR only); "" when unset
	EmploymentType string // "Full Time", "Part Time", …; "" when unset

	// Personal data: served by the fakes, never copied by dirsync.
	DateOfBirth    string
	NINumber       string
	PersonalEmail  string
	PersonalMobile string
	Address1       string
	Postcode       string
	Salary         string
}

// Ref is something with a provider id and a name, such as a Breathe HR location.
type Ref struct {
	ID   string // decimal digits, as Breathe HR sends them
	Name string
}

// Department is one department of a fake company.
type Department struct {
	ID   string // Breathe: decimal digits. Access People HR has no department ids: it uses Name.
	Name string
}

// Company is the whole directory a fake server serves.
type Company struct {
	Employees   []Employee
	Departments []Department
}

// Clone returns a deep copy.
func (c Company) Clone() Company {
	out := Company{
		Employees:   append([]Employee(nil), c.Employees...),
		Departments: append([]Department(nil), c.Departments...),
	}
	return out
}

// Department returns the department with id, if any.
func (c Company) Department(id string) (Department, bool) {
	for _, d := range c.Departments {
		if d.ID == id {
			return d, true
		}
	}
	return Department{}, false
}

// Employee returns a pointer to the employee with id, or nil.
func (c *Company) Employee(id string) *Employee {
	for i := range c.Employees {
		if c.Employees[i].ID == id {
			return &c.Employees[i]
		}
	}
	return nil
}

// RemoveEmployee deletes the employee with id and reports whether it existed.
func (c *Company) RemoveEmployee(id string) bool {
	for i := range c.Employees {
		if c.Employees[i].ID == id {
			c.Employees = append(c.Employees[:i], c.Employees[i+1:]...)
			return true
		}
	}
	return false
}

// IDStyle makes the i-th (0-based) employee id in a provider's style.
type IDStyle func(i int) string

// NumericIDs are Breathe HR's integer ids, starting at 1001.
func NumericIDs(i int) string { return strconv.Itoa(1001 + i) }

// PrefixedIDs are Access People HR's text ids: PW1, PW2, …
func PrefixedIDs(i int) string { return "PW" + strconv.Itoa(1+i) }

// GenerateOptions sizes a generated company.
type GenerateOptions struct {
	Seed        int64
	Employees   int     // default 200
	Departments int     // default 12
	IDs         IDStyle // default NumericIDs
	// Today anchors leaving dates: pending leavers leave after it, former employees before it. Zero means time.Now.
	Today time.Time
}

var (
	firstNames = []string{"Amelia", "Oliver", "Zoë", "José", "Łukasz", "Siobhán", "Björn", "Aisha", "Chen", "Priya",
		"Noah", "Freya", "Mateo", "Ingrid", "Kwame", "Élodie", "Dmitri", "Sakura", "Seán", "Nuño", "Grace", "Yusuf"}
	lastNames = []string{"Smith", "O'Brien", "Müller", "García", "Nowak", "Ó Súilleabháin", "Andersson", "Khan", "Wang",
		"Patel", "Jones", "Brontë", "Fernández", "Øvergaard", "Mensah", "Lefèvre", "Ivanov", "Tanaka", "Walsh", "Peña"}
	// nicknames are the preferred names people with these first names commonly go by.
	nicknames = map[string][]string{
		"Amelia": {"Millie", "Amy"}, "Oliver": {"Ollie"}, "Zoë": {"Zo"}, "José": {"Pepe"}, "Łukasz": {"Luke"},
		"Siobhán": {"Shiv"}, "Björn": {"Bjössi"}, "Priya": {"Pri"}, "Mateo": {"Teo"}, "Ingrid": {"Inga"},
		"Élodie": {"Lodie"}, "Dmitri": {"Dima"}, "Sakura": {"Saki"}, "Grace": {"Gracie"}, "Yusuf": {"Joe"},
		"Chen": {"Charlie"}, "Kwame": {"Kay"},
	}
	departmentNames = []string{"Engineering", "Sales", "Marketing", "Finance", "People", "Operations", "Customer Success",
		"Legal", "Product", "Design", "Security", "Data", "Facilities", "Research", "Support", "Procurement"}
	jobTitles = []string{"Engineer", "Senior Engineer", "Account Executive", "Analyst", "Manager", "Director",
		"Designer", "Coordinator", "Specialist", "Consultant", "Lead", ""}

	// Locations are the sites a generated employee works at, with Breathe HR style ids.
	Locations = []Ref{{"1", "London"}, {"2", "Manchester"}, {"3", "Leeds"}, {"4", "Bristol"}, {"5", "Edinburgh"},
		{"6", "Birmingham"}, {"7", "Remote"}}
	locationWeights = []int{35, 15, 12, 10, 8, 8, 10} // out of 98; the other 2% have no location

	// Divisions group departments (Breathe HR); departmentDivision says which holds which.
	Divisions          = []Ref{{"1", "Technology"}, {"2", "Commercial"}, {"3", "Corporate Services"}}
	departmentDivision = map[string]int{"Engineering": 0, "Product": 0, "Design": 0, "Security": 0, "Data": 0,
		"Research": 0, "Sales": 1, "Marketing": 1, "Customer Success": 1, "Support": 1}

	// Companies are the legal entities that employ generated people (Access People HR).
	Companies      = []string{"Acme Example Ltd", "Acme Example Services Ltd", "Acme Example Ireland Ltd"}
	companyWeights = []int{80, 15, 5}

	// EmploymentTypes are the contracts generated people have.
	EmploymentTypes       = []string{"Full Time", "Part Time", "Fixed Term", "Contractor"}
	employmentTypeWeights = []int{75, 15, 5, 3} // out of 98; the other 2% have none
)

// Generate builds a deterministic company: the same options give the same company. About 5% are
// pending leavers and 8% former employees; a few have no department, no manager, no job title, no
// location or no employment type; about one in ten goes by a preferred name; names include
// non-ASCII letters, and work e-mails are their readable ASCII form (siobhan.muller@example.com).
func Generate(o GenerateOptions) Company {
	if o.Employees <= 0 {
		o.Employees = 200
	}
	if o.Departments <= 0 {
		o.Departments = 12
	}
	if o.IDs == nil {
		o.IDs = NumericIDs
	}
	if o.Today.IsZero() {
		o.Today = time.Now()
	}
	r := rand.New(rand.NewSource(o.Seed))
	// work draws the work attributes from its own sequence, so that adding them left the people of a seed as
	// they were.
	work := rand.New(rand.NewSource(o.Seed ^ 0x5eed5eed))
	c := Company{}
	for i := 0; i < o.Departments; i++ {
		name := departmentNames[i%len(departmentNames)]
		if i >= len(departmentNames) {
			name = fmt.Sprintf("%s %d", name, i/len(departmentNames)+1)
		}
		c.Departments = append(c.Departments, Department{ID: strconv.Itoa(10 + i), Name: name})
	}
	emails := map[string]int{}
	for i := 0; i < o.Employees; i++ {
		first := firstNames[r.Intn(len(firstNames))]
		last := lastNames[r.Intn(len(lastNames))]
		id := o.IDs(i)
		e := Employee{
			ID:        id,
			FirstName: first,
			LastName:  last,
			Email:     workEmail(emails, first, last),
			JobTitle:  jobTitles[r.Intn(len(jobTitles))],
			Status:    Current,
			StartDate: o.Today.AddDate(0, 0, -30-r.Intn(3000)).Format("2006-01-02"),

			DateOfBirth:    fmt.Sprintf("19%02d-%02d-%02d", 50+r.Intn(50), 1+r.Intn(12), 1+r.Intn(28)),
			NINumber:       fmt.Sprintf("QQ%06dC", r.Intn(1000000)),
			PersonalEmail:  fmt.Sprintf("%s%d@personal.example.net", ASCIIName(first), r.Intn(1000)),
			PersonalMobile: fmt.Sprintf("07700 9%05d", r.Intn(100000)),
			Address1:       fmt.Sprintf("%d Acacia Avenue", 1+r.Intn(200)),
			Postcode:       "SW1A 1AA",
			Salary:         strconv.Itoa(25000 + 1000*r.Intn(100)),
		}
		if r.Intn(10) == 0 {
			if nick := nicknames[first]; len(nick) > 0 {
				e.KnownAs = nick[work.Intn(len(nick))]
			}
		}
		if r.Intn(25) != 0 { // ~4% in no department
			e.DepartmentID = c.Departments[r.Intn(len(c.Departments))].ID
		}
		if i > 0 && r.Intn(10) != 0 {
			e.ManagerID = o.IDs(r.Intn(i))
		}
		switch p := r.Intn(100); {
		case p < 5:
			e.Status = PendingLeaver
			e.LeavingDate = o.Today.AddDate(0, 0, 7+r.Intn(60)).Format("2006-01-02")
		case p < 13:
			e.Status = Former
			e.LeavingDate = o.Today.AddDate(0, 0, -1-r.Intn(400)).Format("2006-01-02")
		}
		setWork(&e, &c, work)
		c.Employees = append(c.Employees, e)
	}
	return c
}

// setWork draws e's location, division, company and employment type from r.
func setWork(e *Employee, c *Company, r *rand.Rand) {
	if k := pick(r, locationWeights, 100); k >= 0 {
		e.Location = Locations[k]
	}
	if d, ok := c.Department(e.DepartmentID); ok && e.DepartmentID != "" {
		k, ok := departmentDivision[strings.TrimRight(d.Name, " 0123456789")]
		if !ok {
			k = 2
		}
		e.Division = Divisions[k]
	}
	e.Company = Companies[pick(r, companyWeights, 100)]
	if k := pick(r, employmentTypeWeights, 100); k >= 0 {
		e.EmploymentType = EmploymentTypes[k]
	}
}

// pick draws an index with the given weights out of total; -1 for the remainder.
func pick(r *rand.Rand, weights []int, total int) int {
	n := r.Intn(total)
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	return -1
}

// workEmail is first.last@example.com in readable ASCII, numbered from the second person of that name on
// (amelia.smith2@example.com). seen counts the names already used.
func workEmail(seen map[string]int, first, last string) string {
	local := ASCIIName(first) + "." + ASCIIName(last)
	seen[local]++
	if n := seen[local]; n > 1 {
		local += strconv.Itoa(n)
	}
	return local + "@example.com"
}

// asciiFold spells letters that have no ASCII decomposition, and accented ones, in ASCII.
var asciiFold = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ä': "a", 'ã': "a", 'å': "a", 'ą': "a", 'æ': "ae",
	'ç': "c", 'ć': "c", 'č': "c", 'đ': "d", 'ð': "d",
	'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ę': "e", 'ě': "e",
	'ì': "i", 'í': "i", 'î': "i", 'ï': "i", 'ł': "l", 'ñ': "n", 'ń': "n", 'ň': "n",
	'ò': "o", 'ó': "o", 'ô': "o", 'ö': "o", 'õ': "o", 'ø': "o", 'ő': "o", 'œ': "oe",
	'ř': "r", 'ś': "s", 'š': "s", 'ß': "ss", 'ţ': "t", 'ť': "t", 'þ': "th",
	'ù': "u", 'ú': "u", 'û': "u", 'ü': "u", 'ű': "u", 'ů': "u", 'ý': "y", 'ÿ': "y", 'ź': "z", 'ż': "z", 'ž': "z",
}

// ASCIIName is a name as the local part of an e-mail address: lower case, accents dropped ("Siobhán
// Müller" → "siobhanmuller"), letters without an ASCII form spelled out (ß → ss, ø → o), hyphens kept,
// and apostrophes, spaces and anything else left out.
func ASCIIName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			b.WriteRune(r)
		default:
			b.WriteString(asciiFold[r])
		}
	}
	return b.String()
}
