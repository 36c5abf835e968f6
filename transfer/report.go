package transfer

import (
	"strconv"
	"strings"

	"github.com/mugai-project/mugai/internal/catalog"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/archive"
	"github.com/mugai-project/mugai/sanitizer/detect"
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
	held := rep.Withheld && rep.Action == sanitizer.Hold
	var out []string
	out = append(out, catalog.Text(l, "report.detected", named("report.kind.", string(rep.Detected))))
	out = append(out, findingLines(rep.Findings, l, named)...)
	var removed, kept []string
	for _, rm := range rep.Removed {
		part := catalog.Text(l, "report.removed_item", named("report.removed_what.", rm.What), rm.Count)
		switch {
		case keptHarmless[rm.What]:
			kept = append(kept, part)
		case !held:
			// A held item passed nothing on yet, so nothing was removed.
			removed = append(removed, part)
		}
	}
	sep := catalog.Text(l, "list.separator")
	if len(removed) > 0 {
		out = append(out, catalog.Text(l, "report.removed", strings.Join(removed, sep)))
	}
	if len(kept) > 0 {
		out = append(out, catalog.Text(l, "report.kept", strings.Join(kept, sep)))
	}
	switch {
	case held:
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

// keptHarmless are the Removal kinds that are not taken out but kept in
// a harmless form: a CSV cell that would run as a formula stays, as text.
var keptHarmless = map[string]bool{"formula": true}

// entryFindings are the findings about one entry of an archive; their
// detail starts with the entry's name ("name: cause"), or is the name.
var entryFindings = map[string]bool{
	archive.FindingEncryptedEntry: true,
	archive.FindingWrongPassword:  true,
	archive.FindingDropped:        true,
	archive.FindingDamaged:        true,
	archive.FindingUnsafePath:     true,
}

// maxNamedEntries is how many entry names one finding line lists.
const maxNamedEntries = 5

// findingLines says each kind of finding once, in the order first found:
// the same warning about several entries of an archive becomes one line
// that names them.
func findingLines(fs []detect.Finding, l string, named func(prefix, code string) string) []string {
	var codes []string
	entries := map[string][]string{}
	for _, f := range fs {
		if _, ok := entries[f.Code]; !ok {
			codes = append(codes, f.Code)
			entries[f.Code] = nil
		}
		if entryFindings[f.Code] && f.Detail != "" {
			name, _, _ := strings.Cut(f.Detail, ": ")
			entries[f.Code] = append(entries[f.Code], name)
		}
	}
	out := make([]string, 0, len(codes))
	for _, code := range codes {
		line := named("report.finding_code.", code)
		if names := entries[code]; len(names) > 0 {
			list := strings.Join(names[:min(len(names), maxNamedEntries)], catalog.Text(l, "list.separator"))
			if len(names) > maxNamedEntries {
				list += catalog.Text(l, "report.more_entries", len(names)-maxNamedEntries)
			}
			line = catalog.Text(l, "report.finding_entries", line, list)
		}
		out = append(out, catalog.Text(l, "report.finding", line))
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
