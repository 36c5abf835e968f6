package archive

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/mugai-project/mugai/internal/spill"
	"github.com/mugai-project/mugai/sanitizer/calendar"
	"github.com/mugai-project/mugai/sanitizer/detect"
	"github.com/mugai-project/mugai/sanitizer/verify"
)

// Limits of the output check; generous, since the outputs were built by
// mugai within the unpacking limits.
const (
	verifyMaxEntries = 10_000
	verifyMaxBytes   = 2 << 30
	verifyMaxDepth   = 8
	verifyThreshold  = 4 << 20
)

// General purpose flags the check reads (APPNOTE.TXT §4.4.4), its own so
// that it shares nothing with the reader it checks.
const (
	outEncrypted = 1 << 0  // bit 0
	outUTF8      = 1 << 11 // bit 11, the language encoding flag
)

// Verifiers returns the independent check of rebuilt zips, with the core
// checks of verify.Defaults for the files inside. Use VerifyZip to give it
// the checks of more kinds (office documents).
func Verifiers() map[detect.Kind]verify.Func {
	inner := verify.Defaults()
	inner[detect.Calendar] = calendar.VerifyCalendar
	return map[detect.Kind]verify.Func{
		detect.Zip: verify.Kind(detect.Zip, VerifyZip(inner)),
	}
}

// VerifyZip returns a check of a zip that mugai rebuilt. It shares no code
// with the rebuilding: the zip is opened with the standard library's
// reader and must have only regular, unencrypted, stored or deflated
// files, each with a clean, unique UTF-8 name (flagged as UTF-8 when not
// ASCII) and an extension that matches its content. Each file is detected
// again from its content and must be an allowed output kind: one that
// inner has a check for (which it must then pass), a text kind passing
// verify.Text, a docx/xlsx/pptx, or a zip passing this check again.
func VerifyZip(inner map[detect.Kind]verify.Func) verify.Func {
	return func(ctx context.Context, r io.ReaderAt, size int64) error {
		total := int64(0)
		return verifyZip(ctx, r, size, inner, 0, &total)
	}
}

func verifyZip(ctx context.Context, r io.ReaderAt, size int64, inner map[detect.Kind]verify.Func, depth int, total *int64) error {
	if depth > verifyMaxDepth {
		return fmt.Errorf("verify: zips nested more than %d deep", verifyMaxDepth)
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return fmt.Errorf("verify: zip does not open: %w", err)
	}
	if len(zr.File) > verifyMaxEntries {
		return fmt.Errorf("verify: zip has %d entries", len(zr.File))
	}
	if zr.Comment != "" {
		return fmt.Errorf("verify: zip has a comment")
	}
	files, dirs := map[string]bool{}, map[string]bool{}
	for _, f := range zr.File {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := checkEntryName(f, files, dirs); err != nil {
			return err
		}
		switch {
		case f.Flags&outEncrypted != 0:
			return fmt.Errorf("verify: %q is encrypted", f.Name)
		case f.Method != zip.Store && f.Method != zip.Deflate:
			return fmt.Errorf("verify: %q uses compression method %d", f.Name, f.Method)
		case !f.Mode().IsRegular():
			return fmt.Errorf("verify: %q is not a regular file (%v)", f.Name, f.Mode())
		case len(f.Comment) > 0:
			return fmt.Errorf("verify: %q has a comment", f.Name)
		}
		if err := verifyMember(ctx, f, inner, depth, total); err != nil {
			return err
		}
	}
	return nil
}

// checkEntryName requires a clean, relative, unique UTF-8 path.
func checkEntryName(f *zip.File, files, dirs map[string]bool) error {
	name := f.Name
	if !utf8.ValidString(name) {
		return fmt.Errorf("verify: entry name %q is not UTF-8", name)
	}
	if f.NonUTF8 || !isASCII(name) && f.Flags&outUTF8 == 0 {
		return fmt.Errorf("verify: entry name %q is not flagged as UTF-8", name)
	}
	if name == "" || strings.ContainsAny(name, "\\:") || strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") {
		return fmt.Errorf("verify: unsafe entry name %q", name)
	}
	elems := strings.Split(name, "/")
	for i, e := range elems {
		if e != detect.CleanName(e) || e == "." || e == ".." {
			return fmt.Errorf("verify: unsafe entry name %q", name)
		}
		stem, _, _ := strings.Cut(e, ".")
		if windowsDevice[strings.ToUpper(stem)] {
			return fmt.Errorf("verify: entry name %q is a Windows device", name)
		}
		if i < len(elems)-1 {
			d := strings.ToLower(strings.Join(elems[:i+1], "/"))
			if files[d] {
				return fmt.Errorf("verify: %q is both a file and a folder", d)
			}
			dirs[d] = true
		}
	}
	k := strings.ToLower(name)
	if files[k] || dirs[k] {
		return fmt.Errorf("verify: duplicate entry name %q", name)
	}
	files[k] = true
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// outputExt lists the extensions a file of each kind may have inside a
// rebuilt zip.
var outputExt = map[detect.Kind][]string{
	detect.PDF: {".pdf"}, detect.PNG: {".png"}, detect.JPEG: {".jpg", ".jpeg"},
	detect.GIF: {".gif"}, detect.WebP: {".webp"}, detect.BMP: {".bmp"}, detect.TIFF: {".tif", ".tiff"},
	detect.DOCX: {".docx"}, detect.XLSX: {".xlsx"}, detect.PPTX: {".pptx"}, detect.Zip: {".zip"},
	detect.Calendar: {".ics"},
}

var textExt = map[string]bool{".txt": true, ".csv": true, ".tsv": true}

// verifyMember extracts one file (counting, within the limits) and checks
// its content.
func verifyMember(ctx context.Context, f *zip.File, inner map[detect.Kind]verify.Func, depth int, total *int64) error {
	if *total += int64(f.UncompressedSize64); f.UncompressedSize64 > verifyMaxBytes || *total > verifyMaxBytes {
		return fmt.Errorf("verify: zip unpacks to more than %d bytes", verifyMaxBytes)
	}
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("verify: %q: %w", f.Name, err)
	}
	buf := spill.New(spill.Options{Threshold: verifyThreshold, Limit: int64(f.UncompressedSize64)})
	defer buf.Close()
	// archive/zip checks the size and CRC-32 at the end of the stream.
	_, err = io.Copy(buf, rc)
	rc.Close()
	if err != nil {
		return fmt.Errorf("verify: %q: %w", f.Name, err)
	}
	ext := strings.ToLower(path.Ext(f.Name))
	got := detect.Detect(buf, buf.Size(), "", "")
	switch {
	case textExt[ext]:
		// Text is judged by its check alone (it may look like CSV,
		// markup or a message to the detector), like verify.Kind does.
		if err := verify.Text(ctx, buf, buf.Size()); err != nil {
			return fmt.Errorf("verify: %q: %w", f.Name, err)
		}
		return nil
	case got.Kind.IsText() && got.Kind != detect.Calendar:
		return fmt.Errorf("verify: %q is text under the extension %q", f.Name, ext)
	}
	exts, ok := outputExt[got.Kind]
	if !ok || !contains(exts, ext) {
		return fmt.Errorf("verify: %q holds %s, which does not belong under %q", f.Name, got.Kind, ext)
	}
	switch check, hasCheck := inner[got.Kind]; {
	case got.Kind == detect.Zip:
		if err := verifyZip(ctx, buf, buf.Size(), inner, depth+1, total); err != nil {
			return fmt.Errorf("verify: in %q: %w", f.Name, err)
		}
	case hasCheck:
		if err := check(ctx, buf, buf.Size()); err != nil {
			return fmt.Errorf("verify: %q: %w", f.Name, err)
		}
	case got.Kind == detect.DOCX || got.Kind == detect.XLSX || got.Kind == detect.PPTX:
		// Built and checked by the office handler's own verifier
		// when it was sanitized; re-detection as the macro-free kind
		// is the check here unless inner has one.
	default:
		return fmt.Errorf("verify: %q holds %s, which is not an allowed output kind", f.Name, got.Kind)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
