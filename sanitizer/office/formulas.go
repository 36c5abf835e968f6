package office

import "strings"

// isFormulaNS reports the namespaces whose "f" elements are formulas:
// SpreadsheetML and its Microsoft extensions (x14 conditional formats and
// data validations use xm:f).
func isFormulaNS(ns string) bool {
	return strings.Contains(ns, "spreadsheetml") || ns == "http://schemas.microsoft.com/office/excel/2006/main"
}

// isDDEFormula reports whether a cell formula is a DDE reference
// (server|topic!item, e.g. cmd|' /C calc'!A0): a "|" outside string
// literals and quoted sheet names.
func isDDEFormula(s string) bool {
	return strings.ContainsRune(stripQuoted(s), '|')
}

// riskyFunctions reach outside the workbook when calculated: RTD starts a
// COM real-time data server, WEBSERVICE fetches a URL, CALL, REGISTER and
// EXEC call code (ECMA-376 Part 1 §18.17.7; Excel 4.0 macro functions).
var riskyFunctions = []string{"RTD", "WEBSERVICE", "CALL", "REGISTER", "REGISTER.ID", "EXEC", "_XLFN.WEBSERVICE", "_XLFN.RTD"}

// formulaVerdict returns the removal category of a dangerous formula, or
// "". Function names are matched outside string literals, before "(".
func formulaVerdict(s string) string {
	u := stripQuoted(s)
	if strings.ContainsRune(u, '|') { // as isDDEFormula
		return "dde"
	}
	u = strings.ToUpper(u)
	for _, fn := range riskyFunctions {
		for i := strings.Index(u, fn+"("); i >= 0; {
			if i == 0 || !isNameChar(u[i-1]) {
				return "external-link"
			}
			j := strings.Index(u[i+1:], fn+"(")
			if j < 0 {
				break
			}
			i += 1 + j
		}
	}
	return ""
}

// stripQuoted drops string literals and quoted sheet names, quotes
// included.
func stripQuoted(s string) string {
	var b strings.Builder
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote = r
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isNameChar(c byte) bool {
	return c == '_' || c == '.' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

// isAutoMacroName reports the defined names Excel runs as macros on open
// and close (Excel 4.0 macro sheets).
func isAutoMacroName(name string) bool {
	n := strings.ToLower(strings.TrimPrefix(strings.ToLower(name), "_xlnm."))
	for _, p := range []string{"auto_open", "auto_close", "auto_activate", "auto_deactivate"} {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return false
}
