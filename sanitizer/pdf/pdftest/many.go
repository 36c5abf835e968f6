package pdftest

import "strings"

// ScriptOnEveryPage returns a document of n pages with the clean fixture's
// Japanese content, a link on every page that runs a script, and a script
// on open: the size of a long hostile report, for benchmarks.
func ScriptOnEveryPage(n int) Fixture {
	const link = "/Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /JavaScript /JS (app.alert(1)) >> >>]"
	d := doc{
		pages:   n,
		catalog: "/OpenAction << /S /JavaScript /JS (app.alert(1)) >>",
		page:    strings.Split(strings.Repeat(link+"\n", n-1)+link, "\n"),
	}
	return Fixture{
		Name:    "ScriptOnEveryPage",
		Bytes:   d.build(),
		Pages:   n,
		Removed: map[string]int{"javascript": n + 1, "openaction": 1},
		Hostile: true,
		Text:    d.text(),
	}
}
