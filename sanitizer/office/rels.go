package office

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"path"
	"strings"
)

// outRel is a relationship of the output package.
type outRel struct {
	id, typ, target string
	external        bool
}

// relsName is the relationship part of a part (ECMA-376 Part 2 §9.3.3.1):
// "word/document.xml" → "word/_rels/document.xml.rels"; the package's
// own is "_rels/.rels".
func relsName(part string) string {
	dir, base := path.Split(part)
	return dir + "_rels/" + base + ".rels"
}

// resolveTarget resolves a relationship target against its source part
// (ECMA-376 Part 2 §9.3.2.2; RFC 3986 §5.2 for the relative reference).
// Targets that leave the package are refused.
func resolveTarget(src, target string) (string, bool) {
	t, err := url.PathUnescape(strings.TrimSpace(target))
	if err != nil || t == "" || strings.ContainsAny(t, "#?\\") || strings.Contains(t, "://") {
		return "", false
	}
	var full string
	if strings.HasPrefix(t, "/") {
		full = path.Clean(t)
	} else {
		full = path.Clean("/" + path.Join(path.Dir(src), t))
	}
	if !strings.HasPrefix(full, "/") || strings.Contains(full, "..") {
		return "", false
	}
	name := strings.TrimPrefix(full, "/")
	low := strings.ToLower(name)
	if name == "" || strings.HasSuffix(low, ".rels") || low == "[content_types].xml" {
		return "", false
	}
	return name, true
}

type rel struct {
	ID         string `xml:"Id,attr"`
	Type       string `xml:"Type,attr"`
	Target     string `xml:"Target,attr"`
	TargetMode string `xml:"TargetMode,attr"`
}

// readRels parses a relationship part (ECMA-376 Part 2 §9.3); nil when the
// part has none.
func readRels(p *pkg, name string) ([]rel, error) {
	f := p.lookup(name)
	if f == nil {
		return nil, nil
	}
	b, err := p.readAll(f, maxSmallXML)
	if err != nil {
		return nil, err
	}
	var doc struct {
		XMLName xml.Name `xml:"http://schemas.openxmlformats.org/package/2006/relationships Relationships"`
		Rels    []rel    `xml:"Relationship"`
	}
	if err := strictUnmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("office: %s: %w", name, err)
	}
	if len(doc.Rels) > maxRels {
		return nil, fmt.Errorf("%w: %d relationships in %s", ErrLimit, len(doc.Rels), name)
	}
	seen := map[string]bool{}
	for _, r := range doc.Rels {
		if r.ID == "" || seen[r.ID] || !safeID(r.ID) {
			return nil, fmt.Errorf("office: %s: bad or duplicate relationship Id %q", name, r.ID)
		}
		seen[r.ID] = true
	}
	return doc.Rels, nil
}

// safeID accepts relationship IDs that are XML NCNames of modest length.
func safeID(s string) bool {
	if len(s) > 255 {
		return false
	}
	for i, r := range s {
		ok := r == '_' || r == '-' || r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r > 0x7F
		if !ok || i == 0 && (r == '-' || r == '.' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// writeRels writes a relationship part (ECMA-376 Part 2 §9.3).
func writeRels(w io.Writer, rels []outRel) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\r\n")
	bw.WriteString(`<Relationships xmlns="` + nsPkg + `">`)
	for _, r := range rels {
		bw.WriteString(`<Relationship Id="`)
		escapeAttr(bw, r.id)
		bw.WriteString(`" Type="`)
		escapeAttr(bw, r.typ)
		bw.WriteString(`" Target="`)
		escapeAttr(bw, r.target)
		if r.external {
			bw.WriteString(`" TargetMode="External`)
		}
		bw.WriteString(`"/>`)
	}
	bw.WriteString(`</Relationships>`)
	return bw.Flush()
}
