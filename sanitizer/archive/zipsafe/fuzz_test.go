package zipsafe

import (
	"bytes"
	"io"
	"testing"
)

// FuzzReadDir: no input panics the reader, every accepted entry's data
// lies inside the archive, and opening an entry reads at most what its
// record declares.
func FuzzReadDir(f *testing.F) {
	f.Add(testZip(f, MethodDeflate, "a.txt", "hello", "dir/", "", "b.txt", "world"))
	f.Add(testZip(f, MethodStore, "見積書.txt", "本文"))
	f.Add([]byte("PK\x05\x06" + string(make([]byte, 18))))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		d, err := ReadDir(r, int64(len(b)), 100)
		if err != nil {
			return
		}
		for _, e := range d.Entries {
			if e.DataOffset < 0 || e.DataOffset+int64(e.CompressedSize) > int64(len(b)) {
				t.Fatalf("%q: data at %d+%d outside %d bytes", e.Name, e.DataOffset, e.CompressedSize, len(b))
			}
			rc, err := e.Open(r)
			if err != nil {
				continue
			}
			n, _ := io.Copy(io.Discard, io.LimitReader(rc, 1<<20))
			rc.Close()
			if uint64(n) > e.UncompressedSize {
				t.Fatalf("%q: read %d bytes, declared %d", e.Name, n, e.UncompressedSize)
			}
		}
	})
}
