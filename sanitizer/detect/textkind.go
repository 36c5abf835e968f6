package detect

import (
	"bytes"
	"path"
	"strings"
)

// textKind sorts text into calendars, mail, markup, delimited data,
// scripts and plain text.
func textKind(head []byte, name string) Kind {
	lower := bytes.ToLower(head[:min(len(head), 4096)])
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(lower, []byte("\xef\xbb\xbf")), " \t\r\n")
	ext := strings.ToLower(path.Ext(name))
	switch {
	case bytes.HasPrefix(trimmed, []byte("#!")):
		return Script
	case bytes.HasPrefix(trimmed, []byte("begin:vcalendar")):
		// RFC 5545 §3.4: before the markup sniffers, as descriptions
		// carry HTML (X-ALT-DESC).
		return Calendar
	case isMessage(head):
		return EML
	case bytes.Contains(lower, []byte("<svg")):
		return SVG
	case isHTML(lower):
		return HTML
	case bytes.HasPrefix(trimmed, []byte("<?xml")), bytes.HasPrefix(trimmed, []byte("<")) && bytes.Contains(lower, []byte("xmlns")):
		return XML
	}
	switch ext {
	case ".csv":
		return CSV
	case ".tsv", ".tab":
		return TSV
	}
	return Text
}

var htmlMarkers = [][]byte{
	[]byte("<!doctype html"), []byte("<html"), []byte("<head"), []byte("<body"),
	[]byte("<script"), []byte("<iframe"), []byte("<meta"), []byte("<style"),
	[]byte("<a href"), []byte("<img"), []byte("<div"), []byte("<table"), []byte("<form"),
	[]byte("<object"), []byte("<embed"), []byte("<svg"), []byte("<p>"), []byte("<br"),
}

// isHTML is deliberately eager: text that a browser would render as HTML
// is HTML, and goes through the HTML → text converter.
func isHTML(lower []byte) bool {
	for _, m := range htmlMarkers {
		if bytes.Contains(lower, m) {
			return true
		}
	}
	return false
}
