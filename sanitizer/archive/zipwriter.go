package archive

import (
	"archive/zip"
	"io"
	"time"

	"github.com/mugai-project/mugai/sanitizer/detect"
)

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
