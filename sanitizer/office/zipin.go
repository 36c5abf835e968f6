package office

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mugai-project/mugai/sanitizer/archive/zipsafe"
)

// ErrLimit is wrapped by every refusal caused by a size, count or ratio
// limit, so that callers can tell "too big" from "malformed".
var ErrLimit = errors.New("office: limit exceeded")

// ErrUnsafeZip is wrapped by refusals of a zip that breaks the package
// rules: duplicate, traversing, absolute or backslashed names, overlapping
// entries, encryption, unknown compression.
var ErrUnsafeZip = errors.New("office: unsafe zip")

// Limits bound the input package. The zero value means the defaults.
type Limits struct {
	MaxEntries     int   // zip entries; default 10,000
	MaxTotalBytes  int64 // uncompressed bytes read over all parts; default 512 MiB
	MaxEntryBytes  int64 // uncompressed bytes of one part; default 256 MiB
	MaxRatio       int64 // uncompressed:compressed per part, checked past 1 MiB; default 200
	MaxXMLDepth    int   // element nesting; default 256
	MaxAttrs       int   // attributes on one element; default 512
	MaxImagePixels int64 // per embedded image; default 50 megapixels
	MaxCapture     int   // tokens buffered to decide on one element; default 200,000
}

func (l Limits) withDefaults() Limits {
	if l.MaxEntries <= 0 {
		l.MaxEntries = 10_000
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = 512 << 20
	}
	if l.MaxEntryBytes <= 0 {
		l.MaxEntryBytes = 256 << 20
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = 200
	}
	if l.MaxXMLDepth <= 0 {
		l.MaxXMLDepth = 256
	}
	if l.MaxAttrs <= 0 {
		l.MaxAttrs = 512
	}
	if l.MaxImagePixels <= 0 {
		l.MaxImagePixels = 50_000_000
	}
	if l.MaxCapture <= 0 {
		l.MaxCapture = 200_000
	}
	return l
}

// ratioFloor is the size below which the compression ratio is not
// checked: small XML parts legitimately compress very well.
const ratioFloor = 1 << 20

// pkg is an opened input package with its parts indexed by their
// normalized name (ECMA-376 Part 2 §9.1.1.4: part names compare ASCII
// case-insensitively).
type pkg struct {
	r     io.ReaderAt
	parts map[string]*zipsafe.Entry // key: lower-case name without leading "/"
	lim   Limits
	read  int64 // uncompressed bytes inflated so far, over all parts
}

// openPackage opens r with the strict zip reader (which refuses data
// around or inside the archive and overlapping entries) and applies the
// package rules before any part is inflated.
func openPackage(r io.ReaderAt, size int64, lim Limits) (*pkg, error) {
	dir, err := zipsafe.ReadDir(r, size, lim.MaxEntries)
	var many *zipsafe.TooManyError
	var overlap *zipsafe.OverlapError
	switch {
	case errors.As(err, &many):
		return nil, fmt.Errorf("%w: %d zip entries, over %d", ErrLimit, many.Entries, lim.MaxEntries)
	case errors.As(err, &overlap):
		// Several names over one compressed stream: the "non-recursive
		// zip bomb" construction; no writer produces them.
		return nil, fmt.Errorf("%w: %v", ErrUnsafeZip, err)
	case err != nil:
		return nil, fmt.Errorf("office: not a zip package: %w", err)
	}
	p := &pkg{r: r, parts: make(map[string]*zipsafe.Entry, len(dir.Entries)), lim: lim}
	for _, f := range dir.Entries {
		// Part names are the stored bytes, which must be UTF-8 (§9.1.1.1).
		if err := checkName(string(f.RawName)); err != nil {
			return nil, err
		}
		if f.Name != string(f.RawName) {
			return nil, fmt.Errorf("%w: entry %q is named otherwise in its Unicode Path field", ErrUnsafeZip, f.RawName)
		}
		if f.Flags&zipsafe.FlagEncrypted != 0 || f.Method == zipsafe.MethodAES {
			return nil, fmt.Errorf("%w: entry %q is encrypted", ErrUnsafeZip, f.Name)
		}
		if f.Method != zipsafe.MethodStore && f.Method != zipsafe.MethodDeflate {
			return nil, fmt.Errorf("%w: entry %q uses compression method %d", ErrUnsafeZip, f.Name, f.Method)
		}
		if f.UncompressedSize > uint64(lim.MaxEntryBytes) {
			return nil, fmt.Errorf("%w: entry %q declares %d bytes", ErrLimit, f.Name, f.UncompressedSize)
		}
		key := strings.ToLower(f.Name)
		if _, dup := p.parts[key]; dup {
			return nil, fmt.Errorf("%w: duplicate entry %q", ErrUnsafeZip, f.Name)
		}
		p.parts[key] = f
	}
	return p, nil
}

// checkName refuses zip entry names that are not plain relative part
// names (ECMA-376 Part 2 §9.1.1.1 and APPNOTE.TXT §4.4.17.1).
func checkName(name string) error {
	bad := func(why string) error { return fmt.Errorf("%w: entry name %q %s", ErrUnsafeZip, name, why) }
	switch {
	case name == "":
		return bad("is empty")
	case len(name) > 1024:
		return bad("is too long")
	case !utf8.ValidString(name):
		return bad("is not UTF-8")
	case strings.HasPrefix(name, "/"):
		return bad("is absolute")
	case strings.Contains(name, "\\"):
		return bad("contains a backslash")
	case len(name) >= 2 && name[1] == ':':
		return bad("has a drive letter")
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return bad("contains a control character")
		}
	}
	for _, seg := range strings.Split(strings.TrimSuffix(name, "/"), "/") {
		if seg == "" || seg == "." || seg == ".." {
			return bad("has an empty, . or .. segment")
		}
	}
	return nil
}

// lookup finds a part by name (with or without a leading slash).
func (p *pkg) lookup(name string) *zipsafe.Entry {
	f := p.parts[strings.ToLower(strings.TrimPrefix(name, "/"))]
	if f == nil || strings.HasSuffix(f.Name, "/") {
		return nil
	}
	return f
}

// open inflates a part, counting the bytes as they come: the per-part,
// ratio and total limits hold whatever the headers say, and the size and
// CRC-32 are checked against the central directory.
func (p *pkg) open(f *zipsafe.Entry) (io.ReadCloser, error) {
	rc, err := f.Open(p.r)
	if err != nil {
		return nil, fmt.Errorf("office: part %q: %w", f.Name, err)
	}
	return &countingReader{rc: rc, p: p, f: f}, nil
}

// readAll inflates a small part whole, at most max bytes.
func (p *pkg) readAll(f *zipsafe.Entry, max int64) ([]byte, error) {
	rc, err := p.open(f)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%w: part %q is over %d bytes", ErrLimit, f.Name, max)
	}
	return b, nil
}

type countingReader struct {
	rc io.ReadCloser
	p  *pkg
	f  *zipsafe.Entry
	n  int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.rc.Read(b)
	c.n += int64(n)
	c.p.read += int64(n)
	lim := c.p.lim
	switch {
	case c.n > lim.MaxEntryBytes:
		return n, fmt.Errorf("%w: part %q inflates past %d bytes", ErrLimit, c.f.Name, lim.MaxEntryBytes)
	case c.n > ratioFloor && c.n > lim.MaxRatio*max(int64(c.f.CompressedSize), 1):
		return n, fmt.Errorf("%w: part %q inflates more than %d:1", ErrLimit, c.f.Name, lim.MaxRatio)
	case c.p.read > lim.MaxTotalBytes:
		return n, fmt.Errorf("%w: package inflates past %d bytes", ErrLimit, lim.MaxTotalBytes)
	}
	return n, err
}

func (c *countingReader) Close() error { return c.rc.Close() }
