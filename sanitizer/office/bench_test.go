package office

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchDOCX is a ten-page Japanese report: headings, paragraphs, a
// picture, page fields.
func benchDOCX(t testing.TB) []byte {
	t.Helper()
	var body strings.Builder
	for page := 1; page <= 10; page++ {
		body.WriteString(para("第" + string(rune('0'+page%10)) + "章 令和7年度 予算書"))
		for i := 0; i < 14; i++ {
			body.WriteString(para("お世話になっております。総務課の山田です。令和7年度の予算書をお送りいたします。各課におかれましては、内容をご確認のうえ、修正がありましたら期限までにご連絡ください。"))
		}
		body.WriteString(`<w:p><w:r><w:br w:type="page"/></w:r></w:p>`)
	}
	body.WriteString(`<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>10</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>`)
	return docxWith(t, ctWordMain, body.String(), nil, nil)
}

// TestWriteBenchDOCX writes the benchmark documents for bench/office.sh
// into $MUGAI_BENCH_WRITE.
func TestWriteBenchDOCX(t *testing.T) {
	dir := os.Getenv("MUGAI_BENCH_WRITE")
	if dir == "" {
		t.Skip("set MUGAI_BENCH_WRITE to a folder to write the benchmark documents")
	}
	if err := os.WriteFile(filepath.Join(dir, "report10.docx"), benchDOCX(t), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hostile.docm"), hostileDOCM(t), 0o644); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkConvertToPDF: one sandboxed LibreOffice conversion of the
// ten-page report ($MUGAI_BENCH_DOCX to use another file).
func BenchmarkConvertToPDF(b *testing.B) {
	if _, err := newSandbox(ConvertOptions{}, true); err != nil {
		b.Skipf("needs Debian packages bubblewrap and libreoffice-writer-nogui: %v", err)
	}
	dir := b.TempDir()
	in := os.Getenv("MUGAI_BENCH_DOCX")
	if in == "" {
		in = filepath.Join(dir, "report10.docx")
		os.WriteFile(in, benchDOCX(b), 0o644)
	}
	for b.Loop() {
		pdf, err := ConvertToPDF(context.Background(), in, dir, ConvertOptions{TempDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		os.Remove(pdf)
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/file")
}
