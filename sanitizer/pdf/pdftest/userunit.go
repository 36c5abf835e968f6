package pdftest

import "fmt"

// UserUnit returns a clean two-page A4 document (as Clean) whose first
// page has /UserUnit unit (ISO 32000-1 §7.7.3.3, PDF 1.6): it is unit
// times A4 in each direction. The second page has none.
func UserUnit(unit float64) Fixture {
	d := doc{pages: 2, page: []string{fmt.Sprintf("/UserUnit %g", unit)}}
	return Fixture{Name: "CleanUserUnit", Bytes: d.build(), Pages: 2, Removed: map[string]int{}, Text: d.text()}
}
