package office

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/mugai-project/mugai/sanitizer/verify"
)

// VerifyOOXML is the independent check of a disarmed package (the
// signature of verify.Func). It shares no code with Disarm: it walks the
// output with archive/zip and encoding/xml's namespace-resolving decoder
// and refuses, by name, relationship and element, everything Disarm is
// meant to have removed: macro parts and macro-enabled content types,
// external relationships of any kind (links too), OLE and ActiveX parts
// and elements, customUI, external link and DDE parts, DDE and include
// field instructions, DDE cell formulas, program click actions, and any
// binary part that is not a PNG, JPEG or GIF image.
func VerifyOOXML(ctx context.Context, r io.ReaderAt, size int64) error {
	return verifyPackage(ctx, r, size, false)
}

// VerifyOOXMLLinks is VerifyOOXML that also accepts external hyperlinks
// to http, https and mailto URLs, for when the link policy keeps them.
func VerifyOOXMLLinks(ctx context.Context, r io.ReaderAt, size int64) error {
	return verifyPackage(ctx, r, size, true)
}

const (
	vMaxEntries = 20_000
	vMaxPart    = 512 << 20
	vMaxTotal   = 1 << 30
)

var (
	// part names no disarmed package has
	vBadName = regexp.MustCompile(`(?i)(vbaproject|vbadata|activex|embeddings/|oleobject|customui|customxml/|printersettings|externallinks?/|_xmlsignatures|\.bin$|\.exe$|\.dll$|\.emf$|\.wmf$|\.svg$|\.odttf$|\.ttf$)`)
	// content types no disarmed package has
	vBadCT = regexp.MustCompile(`(?i)(macroenabled|vba|activex|oleobject|customui|externallink|printersettings|customxml|binary|obfuscatedfont|x-font|^font/|x-msmetafile|emf|wmf|svg)`)
	// relationship kinds no disarmed package has
	vBadRel = regexp.MustCompile(`(?i)/(vbaproject\w*|wordvbadata|attachedtemplate|oleobject|package|control|activexcontrol\w*|ctrlprop|extensibility|usercustomization|externallink\w*|ddelink|customxml\w*|printersettings|font|frame|subdocument|afchunk|connections|querytable|xlmacrosheet|xlintlmacrosheet|dialogsheet|keymapcustomizations|attachedtoolbars|audio|video|media|digital-signature/.*)$`)
	// field instructions no disarmed package has
	vBadField = regexp.MustCompile(`(?i)(^|[\s{"])(dde|ddeauto|includetext|includepicture|import|link|embed|macrobutton|database|print|autotext|autotextlist|addin)(\s|"|$)`)
)

// vBadElem are elements, by namespace and local name, that no disarmed
// package has.
var vBadElem = map[string]map[string]bool{
	"http://schemas.openxmlformats.org/wordprocessingml/2006/main": {
		"object": true, "control": true, "altChunk": true, "subDoc": true, "attachedTemplate": true,
		"mailMerge": true, "fldData": true,
	},
	"http://purl.oclc.org/ooxml/wordprocessingml/main": {
		"object": true, "control": true, "altChunk": true, "subDoc": true, "attachedTemplate": true,
		"mailMerge": true, "fldData": true,
	},
	"urn:schemas-microsoft-com:office:office": {"OLEObject": true},
	"http://schemas.openxmlformats.org/spreadsheetml/2006/main": {
		"oleObject": true, "oleObjects": true, "control": true, "controls": true, "externalReference": true,
		"externalReferences": true, "ddeLink": true, "webPublishObjects": true,
	},
	"http://purl.oclc.org/ooxml/spreadsheetml/main": {
		"oleObject": true, "oleObjects": true, "control": true, "controls": true, "externalReference": true,
		"externalReferences": true, "ddeLink": true, "webPublishObjects": true,
	},
	"http://schemas.openxmlformats.org/presentationml/2006/main": {"oleObj": true, "control": true, "controls": true},
	"http://purl.oclc.org/ooxml/presentationml/main":             {"oleObj": true, "control": true, "controls": true},
	"urn:schemas-microsoft-com:office:excel":                     {"FmlaMacro": true},
}

func verifyPackage(ctx context.Context, r io.ReaderAt, size int64, links bool) error {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return fmt.Errorf("verify ooxml: %w", err)
	}
	if len(zr.File) > vMaxEntries {
		return fmt.Errorf("verify ooxml: %d entries", len(zr.File))
	}
	seen := map[string]bool{}
	var total int64
	hasTypes := false
	for _, f := range zr.File {
		if err := ctx.Err(); err != nil {
			return err
		}
		low := strings.ToLower(f.Name)
		if seen[low] {
			return fmt.Errorf("verify ooxml: duplicate entry %q", f.Name)
		}
		seen[low] = true
		if strings.HasPrefix(f.Name, "/") || strings.Contains(f.Name, "\\") || strings.Contains("/"+f.Name+"/", "/../") {
			return fmt.Errorf("verify ooxml: entry name %q", f.Name)
		}
		if vBadName.MatchString(f.Name) {
			return fmt.Errorf("verify ooxml: forbidden part %q", f.Name)
		}
		body, err := vRead(f, &total)
		if err != nil {
			return err
		}
		if err := verify.NoEICAR(bytes.NewReader(body)); err != nil {
			return fmt.Errorf("verify ooxml: %s: %w", f.Name, err)
		}
		switch {
		case low == "[content_types].xml":
			hasTypes = true
			err = vContentTypes(body)
		case strings.HasSuffix(low, ".rels"):
			err = vRels(body, links)
		case strings.HasSuffix(low, ".png"), strings.HasSuffix(low, ".jpeg"), strings.HasSuffix(low, ".jpg"), strings.HasSuffix(low, ".gif"):
			err = vImage(body)
		default:
			err = vXML(body)
		}
		if err != nil {
			return fmt.Errorf("verify ooxml: %s: %w", f.Name, err)
		}
	}
	if !hasTypes {
		return errors.New("verify ooxml: no [Content_Types].xml")
	}
	return nil
}

func vRead(f *zip.File, total *int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("verify ooxml: %s: %w", f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, vMaxPart+1))
	if err != nil {
		return nil, fmt.Errorf("verify ooxml: %s: %w", f.Name, err)
	}
	*total += int64(len(b))
	if len(b) > vMaxPart || *total > vMaxTotal {
		return nil, fmt.Errorf("verify ooxml: %s: too large", f.Name)
	}
	return b, nil
}

func vImage(b []byte) error {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")), bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}),
		bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return nil
	}
	return errors.New("not a PNG, JPEG or GIF image")
}

func vContentTypes(b []byte) error {
	return vWalk(b, func(se xml.StartElement) error {
		for _, a := range se.Attr {
			if a.Name.Local == "ContentType" && vBadCT.MatchString(a.Value) {
				return fmt.Errorf("content type %q", a.Value)
			}
		}
		return nil
	}, nil)
}

func vRels(b []byte, links bool) error {
	return vWalk(b, func(se xml.StartElement) error {
		if se.Name.Local != "Relationship" {
			return nil
		}
		var typ, target, mode string
		for _, a := range se.Attr {
			switch a.Name.Local {
			case "Type":
				typ = a.Value
			case "Target":
				target = a.Value
			case "TargetMode":
				mode = a.Value
			}
		}
		if vBadRel.MatchString(typ) {
			return fmt.Errorf("relationship of type %q", typ)
		}
		if mode != "" && !strings.EqualFold(mode, "Internal") {
			low := strings.ToLower(strings.TrimSpace(target))
			plain := strings.HasPrefix(low, "http://") || strings.HasPrefix(low, "https://") || strings.HasPrefix(low, "mailto:")
			if !links || !strings.HasSuffix(typ, "/hyperlink") || !plain {
				return fmt.Errorf("external relationship %q to %q", typ, target)
			}
		}
		return nil
	}, nil)
}

// vXML walks an XML part: forbidden elements, field instructions, DDE
// formulas and click actions.
func vXML(b []byte) error {
	var instr strings.Builder
	inInstr, inFormula := 0, 0
	var formula strings.Builder
	err := vWalk(b, func(se xml.StartElement) error {
		if vBadElem[se.Name.Space][se.Name.Local] {
			return fmt.Errorf("element %s", se.Name.Local)
		}
		switch se.Name.Local {
		case "instrText", "delInstrText":
			inInstr++
		case "f":
			if strings.Contains(se.Name.Space, "spreadsheetml") || strings.Contains(se.Name.Space, "office/excel") {
				inFormula++
				formula.Reset()
			}
		case "fldSimple":
			for _, a := range se.Attr {
				if a.Name.Local == "instr" && vBadField.MatchString(a.Value) {
					return fmt.Errorf("field %q", a.Value)
				}
			}
		case "sp", "pic", "graphicFrame", "cxnSp", "grpSp":
			for _, a := range se.Attr {
				if a.Name.Space == "" && a.Name.Local == "macro" && a.Value != "" {
					return fmt.Errorf("shape with macro %q", a.Value)
				}
			}
		case "hlinkClick", "hlinkHover", "hlinkMouseOver":
			for _, a := range se.Attr {
				if a.Name.Local == "action" && a.Value != "" {
					l := strings.ToLower(a.Value)
					if strings.Contains(l, "program") || strings.Contains(l, "macro") || strings.Contains(l, "ole") || !strings.HasPrefix(l, "ppaction://") {
						return fmt.Errorf("click action %q", a.Value)
					}
				}
			}
		}
		return nil
	}, func(tok xml.Token) error {
		switch t := tok.(type) {
		case xml.CharData:
			if inInstr > 0 {
				instr.Write(t)
			}
			if inFormula > 0 {
				formula.Write(t)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "instrText", "delInstrText":
				if inInstr > 0 {
					inInstr--
					instr.WriteByte(' ')
				}
			case "f":
				if inFormula > 0 {
					inFormula--
					if vDDEFormula(formula.String()) || vRiskyFunc.MatchString(vUnquote(formula.String())) {
						return fmt.Errorf("formula %q", formula.String())
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if vBadField.MatchString(instr.String()) {
		return fmt.Errorf("field instruction %q", instr.String())
	}
	return nil
}

var vRiskyFunc = regexp.MustCompile(`(?i)(^|[^\w.])(_xlfn\.)?(rtd|webservice|call|register|register\.id|exec)\s*\(`)

// vUnquote drops string literals and quoted sheet names.
func vUnquote(s string) string {
	var b strings.Builder
	inDouble, inSingle := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' && !inSingle:
			inDouble = !inDouble
		case c == '\'' && !inDouble:
			inSingle = !inSingle
		case !inDouble && !inSingle:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// vDDEFormula: a "|" outside quotes.
func vDDEFormula(s string) bool {
	inDouble, inSingle := false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' && !inSingle:
			inDouble = !inDouble
		case c == '\'' && !inDouble:
			inSingle = !inSingle
		case c == '|' && !inDouble && !inSingle:
			return true
		}
	}
	return false
}

func vWalk(b []byte, start func(xml.StartElement) error, other func(xml.Token) error) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.Directive:
			return errors.New("DOCTYPE")
		case xml.StartElement:
			depth++
			if depth > 1024 {
				return errors.New("nested too deeply")
			}
			if err := start(t); err != nil {
				return err
			}
		case xml.EndElement:
			depth--
		}
		if other != nil {
			if err := other(tok); err != nil {
				return err
			}
		}
	}
}
