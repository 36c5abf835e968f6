package archive

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"compress/bzip2"
	"compress/flate"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"golang.org/x/text/encoding/japanese"

	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/detect"
)

// Member is one file found in an archive, handed to a SanitizeFunc.
type Member struct {
	// Name is the path as stored, decoded to UTF-8. It is what the
	// sender wrote and may be hostile ("../../x", bidi controls); use
	// it in reports, never as a path.
	Name     string
	Dir      []string  // the cleaned folders the outputs go in
	Base     string    // the cleaned base name
	Modified time.Time // zero when unknown
	// Body is the decrypted, decompressed content, counted against the
	// limits while it is read. A read error ends the member.
	Body io.Reader
}

// EmitFunc adds one file built from a member: name is its base name (it
// goes in the member's folder), kind what it is.
type EmitFunc func(name string, kind detect.Kind, body io.Reader) error

// Outcome is what became of one member.
type Outcome string

// The outcomes.
const (
	Delivered     Outcome = "delivered"      // sanitized, in the new archive
	Withheld      Outcome = "withheld"       // the sanitizer removed it
	Held          Outcome = "held"           // the sanitizer kept it aside (a nested encrypted file)
	Encrypted     Outcome = "encrypted"      // encrypted and no password was given
	WrongPassword Outcome = "wrong-password" // encrypted and the password given does not open it
	Dropped       Outcome = "dropped"        // a link, device or other non-file
	Damaged       Outcome = "damaged"        // unreadable: bad data, CRC, unsupported method
)

// Verdict is what a SanitizeFunc did with a member: an Outcome
// (Delivered, Withheld or Held) and, when not delivered, the reason code.
type Verdict struct {
	Outcome Outcome
	Reason  string
}

// SanitizeFunc sanitizes one member: it reads m.Body and passes each file
// it builds to emit, after reading the body to its end. An error is for
// failures that are not the member's (a cancelled context, a full disk)
// and ends the whole archive; a withheld member is a Verdict.
type SanitizeFunc func(ctx context.Context, m *Member, emit EmitFunc) (Verdict, error)

// MemberResult records one member for the report.
type MemberResult struct {
	Name    string   `json:"name"`
	Outcome Outcome  `json:"outcome"`
	Reason  string   `json:"reason,omitempty"`
	Detail  string   `json:"detail,omitempty"`
	Outputs []string `json:"outputs,omitempty"` // paths in the new archive
}

// Summary is the account of one archive.
type Summary struct {
	Members []MemberResult
	Written int // files in the new archive (or outputs, for gzip)
	Renamed int // members whose path was cleaned or de-duplicated
	CP932   int // members whose names were decoded from CP932
	// NameMismatch counts zip entries whose local header names a
	// different file than the central directory (a scanner-evasion
	// trick; mugai reads the central directory).
	NameMismatch int
	// Unsafe lists stored paths that tried to leave the archive's folder
	// ("..", absolute paths, drive letters); they were cleaned.
	Unsafe []string
}

// Count returns how many members had outcome o.
func (s *Summary) Count(o Outcome) int {
	n := 0
	for _, m := range s.Members {
		if m.Outcome == o {
			n++
		}
	}
	return n
}

// Error refuses a whole archive; Kind says why.
type Error struct {
	Kind ErrorKind
	Err  error
}

// ErrorKind classifies why an archive was refused.
type ErrorKind int

// The kinds of refusal.
const (
	ErrMalformed ErrorKind = iota + 1 // not a well-formed archive
	ErrLimit                          // a limit reached: entries, bytes, ratio
	ErrOverlap                        // overlapping zip entries (zip bomb)
)

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func refuse(err error) error {
	var le *limitError
	var oe *overlapError
	switch {
	case errors.As(err, &le):
		return &Error{Kind: ErrLimit, Err: err}
	case errors.As(err, &oe):
		return &Error{Kind: ErrOverlap, Err: err}
	}
	return &Error{Kind: ErrMalformed, Err: err}
}

// Rebuilder opens archives and rebuilds them from their sanitized members.
type Rebuilder struct {
	Options
	// Sanitize is called for each file member.
	Sanitize SanitizeFunc
	// Password opens encrypted zip entries (PPAP); empty for none.
	Password string
	// Tree, if set, is the item tree whose archives share one allowance
	// (the engine's job.Tree); without one the archive has its own.
	Tree *sanitizer.Tree
}

// Zip rebuilds the zip archive in r (size bytes) as a new zip written to
// w, from what Sanitize makes of each member. Members that are withheld,
// held, encrypted without a password, links or damaged are left out and
// listed in the Summary. The returned error (an *Error, or the context's)
// refuses the whole archive; w then holds nothing usable.
func (b *Rebuilder) Zip(ctx context.Context, r io.ReaderAt, size int64, w io.Writer) (*Summary, error) {
	opts := b.Options.withDefaults()
	bud := b.treeBudget(opts)
	dir, err := readZipDir(r, size, opts.MaxEntries)
	if err != nil {
		return nil, refuse(err)
	}
	sink := newZipSink(w)
	sum := &Summary{}
	var inf inflater
	for _, e := range dir.entries {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		if e.localName != nil && string(e.localName) != string(e.rawName) {
			sum.NameMismatch++
		}
		if e.isDir() {
			if e.usize != 0 || e.csize != 0 && e.flags&flagEncrypted == 0 {
				sum.Members = append(sum.Members, MemberResult{Name: e.name, Outcome: Dropped, Detail: "a folder entry with content"})
			}
			continue
		}
		switch t := e.unixType(); t {
		case 0, 0x8000: // not Unix-made, or a regular file
		case 0xA000:
			sum.Members = append(sum.Members, MemberResult{Name: e.name, Outcome: Dropped, Detail: "symbolic link"})
			continue
		case 0x4000:
			continue // a folder without the trailing slash
		default:
			sum.Members = append(sum.Members, MemberResult{Name: e.name, Outcome: Dropped, Detail: "device or special file"})
			continue
		}
		if err := bud.addEntry(); err != nil {
			return sum, refuse(err)
		}
		if e.cp932 {
			sum.CP932++
		}
		body, mr, err := b.openEntry(r, e, bud, &inf)
		if err != nil {
			res := MemberResult{Name: e.name, Outcome: Damaged, Detail: err.Error()}
			switch {
			case errors.Is(err, errNeedPassword):
				res.Outcome = Encrypted
			case errors.Is(err, errWrongPassword):
				res.Outcome = WrongPassword
			}
			sum.Members = append(sum.Members, res)
			continue
		}
		if err := b.member(ctx, sum, sink, e.name, e.modified(), body, mr, e.flags&flagEncrypted != 0 && e.aes == nil); err != nil {
			return sum, err
		}
	}
	if err := sink.close(); err != nil {
		return sum, err
	}
	sum.Written = sink.written
	return sum, nil
}

// inflater is one Deflate decompressor, reset for each entry in turn:
// entries are read one after the other, each to its end or its
// refusal, before the next is opened.
type inflater struct {
	br *bufio.Reader
	fr io.ReadCloser
}

func (f *inflater) reset(src io.Reader) io.Reader {
	if f.fr == nil {
		f.br = bufio.NewReader(src)
		f.fr = flate.NewReader(f.br)
		return f.fr
	}
	f.br.Reset(src)
	f.fr.(flate.Resetter).Reset(f.br, nil)
	return f.fr
}

// openEntry returns a reader of the entry's content, decrypted and
// decompressed (Deflate by inf), and its counting wrapper.
func (b *Rebuilder) openEntry(r io.ReaderAt, e *zipEntry, bud *budget, inf *inflater) (io.Reader, *memberReader, error) {
	data := io.NewSectionReader(r, e.dataOff, int64(e.csize))
	method, checkCRC := e.method, true
	var src io.Reader = data
	if e.flags&flagEncrypted != 0 || e.method == methodAES {
		if what := encryptionUnsupported(e); what != "" {
			return nil, nil, fmt.Errorf("%w with %s, which mugai cannot open", errNeedPassword, what)
		}
		if b.Password == "" {
			return nil, nil, errNeedPassword
		}
		var err error
		for _, pw := range passwordCandidates(b.Password) {
			if e.aes != nil {
				src, err = openAES(data, e, pw)
			} else {
				data.Seek(0, io.SeekStart)
				src, err = openZipCrypto(data, e, pw)
			}
			if !errors.Is(err, errWrongPassword) {
				break
			}
		}
		if err != nil {
			return nil, nil, err
		}
		if e.aes != nil {
			method = e.aes.method
			// AE-2 leaves the CRC out (zero) so as not to leak
			// anything about the plaintext; the MAC covers it.
			checkCRC = e.aes.version == 1
		}
	}
	var body io.Reader
	switch method {
	case methodStore:
		plain := int64(e.csize)
		if e.flags&flagEncrypted != 0 && e.aes == nil {
			plain -= zipCryptoHeaderLen
		}
		if plain != int64(e.usize) && e.aes == nil {
			return nil, nil, formatError("stored entry whose sizes differ")
		}
		body = src
	case methodDeflate:
		body = inf.reset(src)
	case methodBzip2:
		body = bzip2.NewReader(bufio.NewReader(src))
	default:
		return nil, nil, fmt.Errorf("compression method %d is not supported", method)
	}
	mr := newMemberReader(body, bud, int64(e.csize), int64(e.usize), e.crc, checkCRC)
	return mr, mr, nil
}

// member runs one file through Sanitize and records the result.
// zipCrypto marks an entry whose data errors mean a wrong password.
func (b *Rebuilder) member(ctx context.Context, sum *Summary, sink *zipSink, name string, mod time.Time, body io.Reader, mr *memberReader, zipCrypto bool) error {
	dirs, base, changed := splitPath(name)
	m := &Member{Name: name, Dir: dirs, Base: base, Modified: mod, Body: body}
	res := MemberResult{Name: name}
	if changed {
		sum.Renamed++
	}
	if unsafePath(name) {
		sum.Unsafe = append(sum.Unsafe, name)
	}
	emitted := 0
	emit := func(outName string, kind detect.Kind, r io.Reader) error {
		p, renamed := sink.names.place(dirs, cleanElem(outName))
		if renamed && !changed {
			changed = true
			sum.Renamed++
		}
		if err := sink.add(p, kind, mod, r); err != nil {
			return err
		}
		emitted++
		res.Outputs = append(res.Outputs, p)
		return nil
	}
	v, err := b.Sanitize(ctx, m, emit)
	if terr := mr.bud.Tripped(); terr != nil {
		return refuse(terr)
	}
	if mr.err != nil {
		if emitted > 0 {
			// The sanitizer wrote outputs before the body failed:
			// they may rest on bad data, so nothing of this archive
			// is delivered.
			return refuse(fmt.Errorf("%s: %w", name, mr.err))
		}
		res.Outcome, res.Detail = Damaged, mr.err.Error()
		if zipCrypto {
			// A wrong password gets past ZipCrypto's check byte once in
			// 256 tries and then decrypts to garbage.
			res.Outcome = WrongPassword
		}
		sum.Members = append(sum.Members, res)
		return nil
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("archive: %s: %w", name, err)
	}
	res.Outcome, res.Reason = v.Outcome, v.Reason
	if v.Outcome == Delivered && emitted == 0 {
		res.Outcome = Withheld
	}
	if v.Outcome != Delivered && emitted > 0 {
		return fmt.Errorf("archive: %s: outputs emitted for a withheld member", name)
	}
	sum.Members = append(sum.Members, res)
	return nil
}

// passwordCandidates are the byte strings a password may have been typed
// as: the UTF-8 given and, for non-ASCII passwords, CP932.
//
// QUIRK: ZipCrypto hashes the password's bytes in the sender's code page;
// Japanese Windows tools use CP932, 7-Zip and macOS UTF-8.
func passwordCandidates(pw string) []string {
	out := []string{pw}
	for i := 0; i < len(pw); i++ {
		if pw[i] >= 0x80 {
			if s, err := japanese.ShiftJIS.NewEncoder().String(pw); err == nil && s != pw {
				out = append(out, s)
			}
			break
		}
	}
	return out
}

// Tar rebuilds the tar archive read from r as a new zip written to w.
// Regular files are sanitized; folders are kept through their files'
// paths; symbolic and hard links, devices and FIFOs are dropped and
// listed. Names are cleaned as for zip (and decoded from CP932 when they
// are not UTF-8).
func (b *Rebuilder) Tar(ctx context.Context, r io.Reader, w io.Writer) (*Summary, error) {
	opts := b.Options.withDefaults()
	bud := b.treeBudget(opts)
	tr := tar.NewReader(r)
	sink := newZipSink(w)
	sum := &Summary{}
	for {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return sum, refuse(formatError("tar: " + err.Error()))
		}
		// Every header counts, links and folders too: a tar has no
		// directory to bound them beforehand.
		if err := bud.addEntry(); err != nil {
			return sum, refuse(err)
		}
		name, cp := decodeName([]byte(h.Name), false, nil, 0, false)
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
		case tar.TypeDir:
			continue
		case tar.TypeSymlink, tar.TypeLink:
			sum.Members = append(sum.Members, MemberResult{Name: name, Outcome: Dropped, Detail: "link to " + strings.ToValidUTF8(h.Linkname, "\uFFFD")})
			continue
		default:
			sum.Members = append(sum.Members, MemberResult{Name: name, Outcome: Dropped, Detail: fmt.Sprintf("special file (type %q)", h.Typeflag)})
			continue
		}
		if cp {
			sum.CP932++
		}
		// A tar stores files as they are: no ratio to bound, and the
		// size in the header is what the reader delivers (holes in a
		// sparse file count as bytes).
		mr := newMemberReader(tr, bud, -1, h.Size, 0, false)
		if err := b.member(ctx, sum, sink, name, h.ModTime, mr, mr, false); err != nil {
			return sum, err
		}
	}
	if err := sink.close(); err != nil {
		return sum, err
	}
	sum.Written = sink.written
	return sum, nil
}

// Gzip sanitizes the one file in the gzip stream r (RFC 1952) of size
// compressed bytes, passing what Sanitize builds to emit. Its name is the
// one in the gzip header (FNAME, §2.3.1) or else outerName without ".gz"
// (".tgz" becomes ".tar"). A stream of several members is refused.
func (b *Rebuilder) Gzip(ctx context.Context, r io.Reader, size int64, outerName string, emit EmitFunc) (*Summary, error) {
	opts := b.Options.withDefaults()
	bud := b.treeBudget(opts)
	br := bufio.NewReader(r)
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, refuse(formatError("gzip: " + err.Error()))
	}
	zr.Multistream(false)
	if err := bud.addEntry(); err != nil {
		return nil, refuse(err)
	}
	name := gunzipName(gzipHeaderName(zr.Name), outerName)
	sum := &Summary{}
	if unsafePath(name) {
		sum.Unsafe = append(sum.Unsafe, name)
	}
	mr := newMemberReader(zr, bud, size, -1, 0, false)
	m := &Member{Name: name, Base: cleanElem(path.Base(strings.ReplaceAll(name, "\\", "/"))), Modified: zr.ModTime, Body: mr}
	res := MemberResult{Name: name}
	n := 0
	v, err := b.Sanitize(ctx, m, func(outName string, kind detect.Kind, body io.Reader) error {
		n++
		res.Outputs = append(res.Outputs, cleanElem(outName))
		return emit(outName, kind, body)
	})
	if terr := bud.Tripped(); terr != nil {
		return sum, refuse(terr)
	}
	if mr.err != nil {
		return sum, refuse(fmt.Errorf("gzip: %w", mr.err))
	}
	if err != nil {
		if ctx.Err() != nil {
			return sum, ctx.Err()
		}
		return sum, err
	}
	if v.Outcome == Delivered {
		// The member was read to its end (RFC 1952 §2.3.1 trailer
		// checked by compress/gzip); nothing may follow it.
		if _, err := io.Copy(io.Discard, mr); err != nil {
			return sum, refuse(fmt.Errorf("gzip: %w", err))
		}
		if _, err := br.Peek(1); err != io.EOF {
			return sum, refuse(formatError("gzip: data after the first member"))
		}
	}
	res.Outcome, res.Reason = v.Outcome, v.Reason
	if v.Outcome == Delivered && n == 0 {
		res.Outcome = Withheld
	}
	sum.Members = append(sum.Members, res)
	if res.Outcome == Delivered {
		sum.Written = n
	}
	return sum, nil
}

// gzipHeaderName recovers the bytes of the FNAME field, which
// compress/gzip reads as ISO 8859-1 (RFC 1952 §2.3.1), and decodes them
// like a zip name.
//
// QUIRK: gzip on Linux writes the file name's bytes as they are, UTF-8
// today, and Japanese Windows tools write CP932; neither is ISO 8859-1.
func gzipHeaderName(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xFF {
			return s
		}
		b = append(b, byte(r))
	}
	name, _ := decodeName(b, false, nil, 0, false)
	return name
}

// gunzipName picks the inner file's name.
func gunzipName(header, outer string) string {
	if header != "" {
		return header
	}
	base := path.Base(strings.ReplaceAll(outer, "\\", "/"))
	lower := strings.ToLower(base)
	switch {
	case strings.HasSuffix(lower, ".tgz"):
		return base[:len(base)-4] + ".tar"
	case strings.HasSuffix(lower, ".gz"):
		return base[:len(base)-3]
	case strings.HasSuffix(lower, ".gzip"):
		return base[:len(base)-5]
	}
	return base
}

// zipSink writes the new archive.
type zipSink struct {
	zw      *zip.Writer
	names   *nameSet
	written int
}

func newZipSink(w io.Writer) *zipSink {
	return &zipSink{zw: zip.NewWriter(w), names: newNameSet()}
}

// add writes one file. Names are UTF-8; archive/zip sets the language
// encoding flag (bit 11) itself for every name that is not plain ASCII,
// so Japanese names read correctly in Explorer and 7-Zip.
func (s *zipSink) add(p string, kind detect.Kind, mod time.Time, r io.Reader) error {
	fh := &zip.FileHeader{Name: p, Method: zip.Deflate}
	switch kind {
	case detect.PNG, detect.JPEG, detect.GIF, detect.WebP, detect.Zip, detect.DOCX, detect.XLSX, detect.PPTX:
		fh.Method = zip.Store // already compressed
	}
	if !mod.IsZero() && mod.Year() >= 1980 && mod.Year() < 2108 {
		// The DOS fields only, in the sender's wall-clock time as the
		// original stored it; archive/zip would add a UTC extended
		// timestamp from Modified.
		fh.ModifiedDate = uint16((mod.Year()-1980)<<9 | int(mod.Month())<<5 | mod.Day())
		fh.ModifiedTime = uint16(mod.Hour()<<11 | mod.Minute()<<5 | mod.Second()/2)
	}
	fh.SetMode(0o644)
	fw, err := s.zw.CreateHeader(fh)
	if err != nil {
		return err
	}
	if _, err := io.Copy(fw, r); err != nil {
		return err
	}
	s.written++
	return nil
}

func (s *zipSink) close() error { return s.zw.Close() }
