package transfer

import (
	"strconv"
	"strings"

	"github.com/mugai-project/mugai/internal/catalog"
	"github.com/mugai-project/mugai/sanitizer"
)

// words returns the catalog's words in language l.
func words(l string) func(key string, args ...any) string {
	return func(key string, args ...any) string { return catalog.Text(l, key, args...) }
}

// reportLines tells what mugai found in an item, what it did and why, in
// plain words in language l, from its report.
func reportLines(rep *sanitizer.Report, l string) []string {
	if rep == nil {
		return nil
	}
	// named is the catalog's word for code under prefix, or the code.
	named := func(prefix, code string) string {
		if catalog.Has(prefix + code) {
			return catalog.Text(l, prefix+code)
		}
		return code
	}
	var out []string
	out = append(out, catalog.Text(l, "report.detected", named("report.kind.", string(rep.Detected))))
	for _, f := range rep.Findings {
		out = append(out, catalog.Text(l, "report.finding", named("report.finding_code.", f.Code)))
	}
	if len(rep.Removed) > 0 {
		var parts []string
		for _, rm := range rep.Removed {
			parts = append(parts, catalog.Text(l, "report.removed_item", named("report.removed_what.", rm.What), rm.Count))
		}
		out = append(out, catalog.Text(l, "report.removed", strings.Join(parts, catalog.Text(l, "list.separator"))))
	}
	switch {
	case rep.Withheld && rep.Action == sanitizer.Hold:
		out = append(out, catalog.Text(l, "report.held"))
	case rep.Withheld:
		out = append(out, catalog.Text(l, "report.withheld"))
	default:
		if key := "report.action." + string(rep.Action); catalog.Has(key) {
			out = append(out, catalog.Text(l, key))
		}
	}
	for _, rs := range rep.Reasons {
		out = append(out, catalog.Text(l, "report.reason", rs.Text(l)))
	}
	for _, c := range rep.Children {
		for i, line := range reportLines(c, l) {
			if i == 0 { // the "detected" line
				line = c.Name + ": " + line
			}
			out = append(out, "　"+line)
		}
	}
	return out
}

// humanSize writes a byte count as people read it: binary multiples with
// the units Windows shows (KB, MB, GB), one decimal.
func humanSize(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	v, u := float64(n)/1024, 0
	for v >= 1024 && u < 4 {
		v /= 1024
		u++
	}
	s := strconv.FormatFloat(v, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0") + " " + []string{"KB", "MB", "GB", "TB", "PB"}[u]
}
