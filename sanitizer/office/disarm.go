package office

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
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
