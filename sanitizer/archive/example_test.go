package archive_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/mugai-project/mugai/sanitizer/archive"
	"github.com/mugai-project/mugai/sanitizer/detect"
)

// The core rebuilds an archive from whatever the callback makes of each
// member; here every member is upper-cased text, and the stored path's
// traversal is cleaned away.
func ExampleRebuilder_Zip() {
	var in bytes.Buffer
	zw := zip.NewWriter(&in)
	w, _ := zw.Create("../../資料/memo.txt")
	io.WriteString(w, "hello")
	zw.Close()

	rb := &archive.Rebuilder{Sanitize: func(ctx context.Context, m *archive.Member, emit archive.EmitFunc) (archive.Verdict, error) {
		b, err := io.ReadAll(m.Body)
		if err != nil {
			return archive.Verdict{}, err
		}
		return archive.Verdict{Outcome: archive.Delivered}, emit(m.Base, detect.Text, strings.NewReader(strings.ToUpper(string(b))))
	}}
	var out bytes.Buffer
	sum, err := rb.Zip(context.Background(), bytes.NewReader(in.Bytes()), int64(in.Len()), &out)
	if err != nil {
		fmt.Println(err)
		return
	}
	zr, _ := zip.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
	rc, _ := zr.File[0].Open()
	b, _ := io.ReadAll(rc)
	fmt.Println(zr.File[0].Name, string(b), sum.Unsafe)
	// Output: 資料/memo.txt HELLO [../../資料/memo.txt]
}
