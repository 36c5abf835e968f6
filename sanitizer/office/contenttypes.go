package office

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// contentTypes is [Content_Types].xml (ECMA-376 Part 2 §10.1.2).
type contentTypes struct {
	defaults  map[string]string // lower-case extension
	overrides map[string]string // lower-case part name without "/"
}

func (c *contentTypes) of(name string) string {
	if ct, ok := c.overrides[strings.ToLower(name)]; ok {
		return ct
	}
	ext := strings.TrimPrefix(path.Ext(name), ".")
	return c.defaults[strings.ToLower(ext)]
}

func readContentTypes(p *pkg) (*contentTypes, error) {
	f := p.lookup("[Content_Types].xml")
	if f == nil {
		return nil, fmt.Errorf("%w: no [Content_Types].xml", ErrNotOOXML)
	}
	b, err := p.readAll(f, maxSmallXML)
	if err != nil {
		return nil, err
	}
	var doc struct {
		XMLName  xml.Name `xml:"http://schemas.openxmlformats.org/package/2006/content-types Types"`
		Defaults []struct {
			Extension   string `xml:"Extension,attr"`
			ContentType string `xml:"ContentType,attr"`
		} `xml:"Default"`
		Overrides []struct {
			PartName    string `xml:"PartName,attr"`
			ContentType string `xml:"ContentType,attr"`
		} `xml:"Override"`
	}
	if err := strictUnmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("office: [Content_Types].xml: %w", err)
	}
	c := &contentTypes{defaults: map[string]string{}, overrides: map[string]string{}}
	for _, d := range doc.Defaults {
		c.defaults[strings.ToLower(d.Extension)] = strings.TrimSpace(d.ContentType)
	}
	for _, o := range doc.Overrides {
		c.overrides[strings.ToLower(strings.TrimPrefix(o.PartName, "/"))] = strings.TrimSpace(o.ContentType)
	}
	return c, nil
}

// strictUnmarshal refuses DTDs before decoding.
func strictUnmarshal(b []byte, v any) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	for {
		t, err := d.RawToken()
		if err != nil {
			break
		}
		if _, ok := t.(xml.Directive); ok {
			return errors.New("DOCTYPE or other directive")
		}
	}
	d = xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	return d.Decode(v)
}

// safeContentType accepts media types of the RFC 6838 shape.
func safeContentType(s string) bool {
	if s == "" || len(s) > 255 || !strings.Contains(s, "/") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/.+-_=; ", r)) {
			return false
		}
	}
	return true
}

// writeContentTypes writes [Content_Types].xml for the kept parts.
func writeContentTypes(w io.Writer, parts []*outPart) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\r\n")
	bw.WriteString(`<Types xmlns="` + nsCT + `">`)
	bw.WriteString(`<Default Extension="rels" ContentType="` + ctRels + `"/>`)
	bw.WriteString(`<Default Extension="xml" ContentType="application/xml"/>`)
	for _, op := range parts {
		bw.WriteString(`<Override PartName="/`)
		escapeAttr(bw, op.name)
		bw.WriteString(`" ContentType="`)
		escapeAttr(bw, op.ct)
		bw.WriteString(`"/>`)
	}
	bw.WriteString(`</Types>`)
	return bw.Flush()
}
