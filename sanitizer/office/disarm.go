package office

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/mugai-project/mugai/sanitizer/archive/zipsafe"
)

// Options configure Disarm. The zero value is the safe default.
type Options struct {
	Limits Limits
	// KeepHyperlinks keeps links to absolute http, https and mailto URLs.
	// By default every link out of the document is removed and its
	// visible text kept.
	KeepHyperlinks bool
	// JPEGQuality for re-encoded JPEG images; default 90.
	JPEGQuality int
}

func (o Options) withDefaults() Options {
	o.Limits = o.Limits.withDefaults()
	if o.JPEGQuality <= 0 || o.JPEGQuality > 100 {
		o.JPEGQuality = 90
	}
	return o
}

// Result says what Disarm built and what it took out.
type Result struct {
	// Kind is the output's kind, "docx", "xlsx" or "pptx": macro-enabled
	// documents, templates and slide shows come out as plain documents.
	Kind string
	// Ext is the output's file extension, ".docx", ".xlsx" or ".pptx".
	Ext string
	// Converted is set when the input's main part was macro-enabled, a
	// template or a slide show, so the output's name must change.
	Converted bool
	// Removed counts what was taken out, by category: macro, activex, ole,
	// embedded, template, external-link, hyperlink, dde, field, customui,
	// printer-settings, custom-xml, font, media, signature, action,
	// mail-merge, unsupported-image, other-part.
	Removed map[string]int
	// Parts is the number of parts written, relationship parts excluded.
	Parts int
}

// ErrNotOOXML is wrapped when the zip is not an Office Open XML document
// of a supported kind (no main part, or a binary .xlsb workbook).
var ErrNotOOXML = errors.New("office: not a supported OOXML document")

const (
	maxSmallXML = 4 << 20 // [Content_Types].xml and .rels parts
	maxRels     = 100_000 // relationships in one .rels part
)

// zipTime is the modification time of every output entry, so that the
// output depends on the content only.
var zipTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

type outRel struct {
	id, typ, target string
	external        bool
}

type outPart struct {
	f      *zipsafe.Entry
	name   string // zip entry name, as in the input
	ct     string // output content type
	img    string // "png", "jpeg", "gif" for images; "" for XML
	word   bool
	rels   []outRel
	hasRel bool
}

// Disarm rebuilds the OOXML package read from r as a new package written
// to w, keeping only the parts reached from the package relationships
// through allowed relationship kinds and content types (ECMA-376 Part 2
// §9–10), re-serializing every XML part through the rules of filter.go and
// re-encoding every image from its pixels. w receives a complete zip only
// when err is nil; on error the caller discards what was written.
func Disarm(ctx context.Context, r io.ReaderAt, size int64, w io.Writer, opts Options) (Result, error) {
	opts = opts.withDefaults()
	res := Result{Removed: map[string]int{}}
	p, err := openPackage(r, size, opts.Limits)
	if err != nil {
		return res, err
	}
	types, err := readContentTypes(p)
	if err != nil {
		return res, err
	}

	// Walk the relationship graph from the package root.
	var parts []*outPart
	byName := map[string]*outPart{}
	var rootRels []outRel
	var mainCT string
	referenced := map[string]bool{}
	walk := func(src string, owner *outPart) error {
		rels, err := readRels(p, relsName(src))
		if err != nil || rels == nil {
			return err
		}
		var kept []outRel
		for _, rl := range rels {
			kind := relKind(rl.Type)
			external := rl.TargetMode != "" && !strings.EqualFold(rl.TargetMode, "Internal")
			if external {
				if kind == "hyperlink" && opts.KeepHyperlinks && plainLink(rl.Target) {
					kept = append(kept, outRel{id: rl.ID, typ: rl.Type, target: strings.TrimSpace(rl.Target), external: true})
					continue
				}
				res.Removed[removalCategory(kind, true)]++
				continue
			}
			if !allowedRels[kind] || (kind == "officeDocument" && src != "") {
				if name, ok := resolveTarget(src, rl.Target); ok {
					referenced[strings.ToLower(name)] = true
				}
				// OLE objects and controls are counted where the document
				// shows them (filter.go), not once more by relationship.
				if cat := removalCategory(kind, false); cat != "ole" && cat != "activex" {
					res.Removed[cat]++
				}
				continue
			}
			name, ok := resolveTarget(src, rl.Target)
			referenced[strings.ToLower(name)] = true
			f := p.lookup(name)
			if !ok || f == nil {
				continue // a dangling reference: nothing to keep
			}
			op := byName[strings.ToLower(f.Name)]
			if op == nil {
				ct := types.of(f.Name)
				lct := strings.ToLower(ct)
				op = &outPart{f: f, name: f.Name, ct: ct}
				switch {
				case kind == "officeDocument":
					k, ok := mainTypes[lct]
					if !ok {
						return fmt.Errorf("%w: main part type %q", ErrNotOOXML, ct)
					}
					res.Kind, res.Ext, res.Converted = k, "."+k, plainMain[k] != lct
					op.ct, mainCT = plainMain[k], plainMain[k]
				case kind == "image" || kind == "thumbnail":
					if imageTypes[lct] == "" {
						res.Removed["unsupported-image"]++
						continue
					}
					op.img = imageTypes[lct]
					op.ct = "image/" + op.img
				case !isXMLType(lct) || deniedXMLType(lct) || mainTypes[lct] != "":
					res.Removed[removalCategory(kind, false)]++
					continue
				}
				if op.img == "" && !safeContentType(ct) {
					return fmt.Errorf("office: part %q has content type %q", f.Name, ct)
				}
				op.word = strings.Contains(strings.ToLower(op.ct), "wordprocessingml")
				byName[strings.ToLower(f.Name)] = op
				parts = append(parts, op)
			}
			kept = append(kept, outRel{id: rl.ID, typ: rl.Type, target: "/" + f.Name})
		}
		if owner == nil {
			rootRels = kept
		} else {
			owner.rels, owner.hasRel = kept, true
		}
		return nil
	}
	if err := walk("", nil); err != nil {
		return res, err
	}
	if mainCT == "" {
		return res, fmt.Errorf("%w: no main document part", ErrNotOOXML)
	}
	for i := 0; i < len(parts); i++ { // parts grows while walking
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if parts[i].img != "" {
			continue // images have no relationships of their own worth keeping
		}
		if err := walk(parts[i].name, parts[i]); err != nil {
			return res, err
		}
	}
	countOrphans(p, byName, referenced, res.Removed)

	// Write the new package.
	zw := zip.NewWriter(w)
	if err := writeEntry(zw, "[Content_Types].xml", func(w io.Writer) error { return writeContentTypes(w, parts) }); err != nil {
		return res, err
	}
	if err := writeEntry(zw, "_rels/.rels", func(w io.Writer) error { return writeRels(w, rootRels) }); err != nil {
		return res, err
	}
	for _, op := range parts {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		var err error
		if op.img != "" {
			err = writeEntry(zw, op.name, func(w io.Writer) error { return reencodeImage(p, op, w, opts, res.Removed) })
		} else {
			err = writeEntry(zw, op.name, func(w io.Writer) error { return writeXMLPart(p, op, w, opts, res.Removed) })
		}
		if err != nil {
			return res, err
		}
		if op.hasRel && len(op.rels) > 0 {
			if err := writeEntry(zw, relsName(op.name), func(w io.Writer) error { return writeRels(w, op.rels) }); err != nil {
				return res, err
			}
		}
		res.Parts++
	}
	if err := zw.Close(); err != nil {
		return res, err
	}
	for k, v := range res.Removed {
		if v == 0 {
			delete(res.Removed, k)
		}
	}
	return res, nil
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

// countOrphans counts the parts no relationship reaches: they are not
// copied, and a macro project hidden that way is still reported.
func countOrphans(p *pkg, kept map[string]*outPart, referenced map[string]bool, removed map[string]int) {
	for key := range p.parts {
		if kept[key] != nil || referenced[key] || strings.HasSuffix(key, "/") || strings.HasSuffix(key, ".rels") || key == "[content_types].xml" {
			continue
		}
		if strings.Contains(key, "vbaproject") || strings.Contains(key, "vbadata") {
			removed["macro"]++
			continue
		}
		removed["other-part"]++
	}
}

func writeEntry(zw *zip.Writer, name string, fill func(io.Writer) error) error {
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: zipTime})
	if err != nil {
		return err
	}
	return fill(w)
}

func writeXMLPart(p *pkg, op *outPart, w io.Writer, opts Options, removed map[string]int) error {
	pc := &partCtx{name: op.name, kept: map[string]bool{}, opts: opts, removed: removed}
	for _, r := range op.rels {
		pc.kept[r.id] = true
	}
	if op.word {
		rc, err := p.open(op.f)
		if err != nil {
			return err
		}
		plan, err := planFields(rc, opts.Limits, opts)
		rc.Close()
		if err != nil {
			return fmt.Errorf("office: %s: %w", op.name, err)
		}
		plan.count(removed)
		pc.plan = plan
	}
	if op.ct == ctXlsx {
		rc, err := p.open(op.f)
		if err != nil {
			return err
		}
		pc.sheetsGone, err = goneSheets(rc, opts.Limits, pc.kept)
		rc.Close()
		if err != nil {
			return fmt.Errorf("office: %s: %w", op.name, err)
		}
	}
	rc, err := p.open(op.f)
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := filterXML(w, rc, pc); err != nil {
		return fmt.Errorf("office: %s: %w", op.name, err)
	}
	return nil
}

// reencodeImage decodes an image part and writes it again from its pixels
// in its declared format; metadata, trailing data and anything hidden in
// ancillary chunks are left behind. An image that does not decode is
// replaced by a one-pixel placeholder so that the document still opens.
func reencodeImage(p *pkg, op *outPart, w io.Writer, opts Options, removed map[string]int) error {
	img, err := decodeImage(p, op.f, opts.Limits)
	if err != nil {
		if errors.Is(err, ErrLimit) {
			return err
		}
		removed["unsupported-image"]++
		ph := image.NewGray(image.Rect(0, 0, 1, 1))
		ph.Set(0, 0, color.Gray{Y: 0xE0})
		img = ph
	}
	switch op.img {
	case "png":
		return (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(w, img)
	case "jpeg":
		return jpeg.Encode(w, img, &jpeg.Options{Quality: opts.JPEGQuality})
	case "gif":
		return gif.Encode(w, img, nil)
	}
	return fmt.Errorf("office: internal: image format %q", op.img)
}

func decodeImage(p *pkg, f *zipsafe.Entry, lim Limits) (image.Image, error) {
	rc, err := p.open(f)
	if err != nil {
		return nil, err
	}
	cfg, _, err := image.DecodeConfig(bufio.NewReader(rc))
	rc.Close()
	if err != nil {
		return nil, err
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > lim.MaxImagePixels {
		return nil, fmt.Errorf("%w: image %q is %dx%d pixels", ErrLimit, f.Name, cfg.Width, cfg.Height)
	}
	rc, err = p.open(f)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	img, _, err := image.Decode(bufio.NewReader(rc))
	return img, err
}

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
