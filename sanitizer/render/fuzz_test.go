package render

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

// FuzzFlatten feeds mutated PDFs to Flatten: it must not panic, must not
// hang past the deadline, and any output it returns must be a valid
// image-only PDF with as many pages as it reports.
func FuzzFlatten(f *testing.F) {
	for _, seed := range [][]byte{
		textPDF(f, 2),
		japanesePDF(f, "90ms-RKSJ-H"),
		japanesePDF(f, "UniJIS-UCS2-H"),
		manyPagesPDF(f, 30),
		bigPagePDF(f, 14400, 14400),
		heavyPDF(f, 1, 200),
		photoPDF(f),
		rotatedPDF(f),
	} {
		f.Add(seed)
	}
	p := testPool(f)
	lim := Limits{DPI: 24, MaxPages: 20, MaxPagePixels: 1 << 20, MaxInputBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, in []byte) {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		var out bytes.Buffer
		st, err := p.Flatten(ctx, bytes.NewReader(in), int64(len(in)), &out, lim)
		if err != nil {
			var le *LimitError
			if errors.As(err, &le) && out.Len() != 0 {
				t.Fatalf("wrote %d bytes before refusing: %v", out.Len(), err)
			}
			return
		}
		if st.Pages < 1 || st.Pages > lim.MaxPages {
			t.Fatalf("%d pages", st.Pages)
		}
		assertImageOnlyPDF(t, out.Bytes(), st.Pages)
	})
}
