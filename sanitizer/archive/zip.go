package archive

import (
	"bufio"
	"compress/bzip2"
	"context"
	"errors"
	"fmt"
	"io"

	"golang.org/x/text/encoding/japanese"

	"github.com/mugai-project/mugai/sanitizer/archive/zipsafe"
)

// Zip rebuilds the zip archive in r (size bytes) as a new zip written to
// w, from what Sanitize makes of each member. Members that are withheld,
// held, encrypted without a password, links or damaged are left out and
// listed in the Summary. The returned error (an *Error, or the context's)
// refuses the whole archive; w then holds nothing usable.
func (b *Rebuilder) Zip(ctx context.Context, r io.ReaderAt, size int64, w io.Writer) (*Summary, error) {
	opts := b.Options.withDefaults()
	bud := b.treeBudget(opts)
	dir, err := zipsafe.ReadDir(r, size, opts.MaxEntries)
	var many *zipsafe.TooManyError
	if errors.As(err, &many) {
		err = &limitError{many.Error()}
	}
	if err != nil {
		return nil, refuse(err)
	}
	sink := newZipSink(w)
	sum := &Summary{}
	var inf zipsafe.Inflater
	for _, e := range dir.Entries {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		if e.LocalName != nil && string(e.LocalName) != string(e.RawName) {
			sum.NameMismatch++
		}
		if e.IsDir() {
			if e.UncompressedSize != 0 || e.CompressedSize != 0 && e.Flags&zipsafe.FlagEncrypted == 0 {
				sum.Members = append(sum.Members, MemberResult{Name: e.Name, Outcome: Dropped, Detail: "a folder entry with content"})
			}
			continue
		}
		switch t := e.UnixType(); t {
		case 0, 0x8000: // not Unix-made, or a regular file
		case 0xA000:
			sum.Members = append(sum.Members, MemberResult{Name: e.Name, Outcome: Dropped, Detail: "symbolic link"})
			continue
		case 0x4000:
			continue // a folder without the trailing slash
		default:
			sum.Members = append(sum.Members, MemberResult{Name: e.Name, Outcome: Dropped, Detail: "device or special file"})
			continue
		}
		if err := bud.addEntry(); err != nil {
			return sum, refuse(err)
		}
		if e.CP932 {
			sum.CP932++
		}
		body, mr, err := b.openEntry(r, e, bud, &inf)
		if err != nil {
			res := MemberResult{Name: e.Name, Outcome: Damaged, Detail: err.Error()}
			switch {
			case errors.Is(err, errNeedPassword):
				res.Outcome = Encrypted
			case errors.Is(err, errWrongPassword):
				res.Outcome = WrongPassword
			}
			sum.Members = append(sum.Members, res)
			continue
		}
		if err := b.member(ctx, sum, sink, e.Name, e.Modified(), body, mr, e.Flags&zipsafe.FlagEncrypted != 0 && e.AES == nil); err != nil {
			return sum, err
		}
	}
	if err := sink.close(); err != nil {
		return sum, err
	}
	sum.Written = sink.written
	return sum, nil
}

// openEntry returns a reader of the entry's content, decrypted and
// decompressed (Deflate by inf), and its counting wrapper.
func (b *Rebuilder) openEntry(r io.ReaderAt, e *zipsafe.Entry, bud *budget, inf *zipsafe.Inflater) (io.Reader, *memberReader, error) {
	data := e.Data(r)
	method, checkCRC := e.Method, true
	var src io.Reader = data
	if e.Flags&zipsafe.FlagEncrypted != 0 || e.Method == zipsafe.MethodAES {
		if what := encryptionUnsupported(e); what != "" {
			return nil, nil, fmt.Errorf("%w with %s, which mugai cannot open", errNeedPassword, what)
		}
		if b.Password == "" {
			return nil, nil, errNeedPassword
		}
		var err error
		for _, pw := range passwordCandidates(b.Password) {
			if e.AES != nil {
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
		if e.AES != nil {
			method = e.AES.Method
			// AE-2 leaves the CRC out (zero) so as not to leak
			// anything about the plaintext; the MAC covers it.
			checkCRC = e.AES.Version == 1
		}
	}
	var body io.Reader
	switch method {
	case zipsafe.MethodStore:
		plain := int64(e.CompressedSize)
		if e.Flags&zipsafe.FlagEncrypted != 0 && e.AES == nil {
			plain -= zipCryptoHeaderLen
		}
		if plain != int64(e.UncompressedSize) && e.AES == nil {
			return nil, nil, formatError("stored entry whose sizes differ")
		}
		body = src
	case zipsafe.MethodDeflate:
		body = inf.Reset(src)
	case zipsafe.MethodBzip2:
		body = bzip2.NewReader(bufio.NewReader(src))
	default:
		return nil, nil, fmt.Errorf("compression method %d is not supported", method)
	}
	mr := newMemberReader(body, bud, int64(e.CompressedSize), int64(e.UncompressedSize), e.CRC32, checkCRC)
	return mr, mr, nil
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
