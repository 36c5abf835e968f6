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

// messageHeaders are RFC 5322 §3.6 field names; two of them in the first
// lines of a file, or an mbox "From " line, make it a message.
var messageHeaders = []string{
	"from", "to", "cc", "subject", "date", "message-id", "received", "return-path",
	"mime-version", "content-type", "reply-to", "sender", "delivered-to", "x-mailer",
	"dkim-signature", "authentication-results", "in-reply-to", "references",
}

func isMessage(head []byte) bool {
	lines := bytes.SplitN(head[:min(len(head), 8192)], []byte("\n"), 40)
	if len(lines) > 0 && bytes.HasPrefix(lines[0], []byte("From ")) {
		return true
	}
	known := 0
	for i, l := range lines {
		l = bytes.TrimRight(l, "\r")
		if len(l) == 0 {
			break
		}
		if l[0] == ' ' || l[0] == '\t' {
			continue
		}
		colon := bytes.IndexByte(l, ':')
		if colon <= 0 {
			if i == 0 {
				return false
			}
			break
		}
		field := strings.ToLower(string(l[:colon]))
		for _, h := range messageHeaders {
			if field == h {
				known++
				break
			}
		}
	}
	return known >= 2
}
