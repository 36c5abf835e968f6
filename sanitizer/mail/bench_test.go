package mail

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/cputime"

	message "github.com/emersion/go-message"

	"github.com/mugai-project/mugai/internal/spill"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/text"
)

// benchCorpus is a day's typical mail: a plain ISO-2022-JP business
// message, an HTML newsletter, and a text mail with one small image.
func benchCorpus(b *testing.B) [][]byte {
	b.Helper()
	plain := "From: =?ISO-2022-JP?B?" + b64s(enc(b, iso2022, "山田 太郎")) + "?= <yamada@example.co.jp>\r\nTo: staff@city.example.lg.jp\r\n" +
		"Subject: =?ISO-2022-JP?B?" + b64s(enc(b, iso2022, "打ち合わせ日程のご相談")) + "?=\r\nDate: Tue, 24 Nov 2026 10:00:00 +0900\r\nMessage-ID: <b1@example.co.jp>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" +
		crlf(enc(b, iso2022, strings.Repeat("いつもお世話になっております。来週の打ち合わせの日程についてご相談させてください。\n詳細は https://example.co.jp/schedule をご覧ください。\n", 20)))
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for i := range 64 {
		img.Set(i, i, color.RGBA{0, 0, 200, 255})
	}
	var pb bytes.Buffer
	png.Encode(&pb, img)
	withImage := multipartMsg(stdHeader, "mixed", "b",
		"Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n現地の写真を添付します。\r\n",
		"Content-Type: image/png; name=\"photo.png\"\r\nContent-Disposition: attachment; filename=\"photo.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"+b64lines(pb.Bytes()))
	return [][]byte{[]byte(plain), []byte(goldenMails(b)["newsletter"]), []byte(withImage)}
}

func corpusBytes(c [][]byte) int64 {
	var n int64
	for _, m := range c {
		n += int64(len(m))
	}
	return n
}

// BenchmarkSanitizeMail runs the corpus through the engine.
func BenchmarkSanitizeMail(b *testing.B) {
	corpus := benchCorpus(b)
	e := newEngine(b, Options{}, sanitizer.Policy{})
	b.SetBytes(corpusBytes(corpus))
	start, cpu0 := time.Now(), cputime.Process()
	n := 0
	for b.Loop() {
		for _, m := range corpus {
			res, err := e.Sanitize(context.Background(), sanitizer.Input{Name: "m.eml", Body: bytes.NewReader(m)})
			if err != nil || res.Report.Withheld {
				b.Fatalf("%v %+v", err, res.Report.Reasons)
			}
			res.Close()
			n++
		}
	}
	reportRates(b, n, start, cpu0)
}

// BenchmarkParseOnly is go-message's parse and walk of the same corpus,
// every body read and decoded: the floor for BenchmarkSanitizeMail.
func BenchmarkParseOnly(b *testing.B) {
	corpus := benchCorpus(b)
	b.SetBytes(corpusBytes(corpus))
	start, cpu0 := time.Now(), cputime.Process()
	n := 0
	for b.Loop() {
		for _, m := range corpus {
			ent, err := message.Read(bytes.NewReader(m))
			if err != nil && !message.IsUnknownCharset(err) {
				b.Fatal(err)
			}
			err = ent.Walk(func(_ []int, p *message.Entity, _ error) error {
				if p.MultipartReader() == nil {
					_, err := io.Copy(io.Discard, p.Body)
					return err
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	reportRates(b, n, start, cpu0)
}

// stubEnv stands in for the engine: every part is read and withheld.
type stubEnv struct{}

func (stubEnv) sanitize(_ context.Context, p part) (*outcome, error) {
	_, err := io.Copy(io.Discard, p.Body)
	return &outcome{Name: p.Name, Withheld: true, Reason: "policy", Message: "ポリシーにより削除"}, err
}

func (stubEnv) htmlToText(ctx context.Context, r io.Reader, w io.Writer, links string) ([]string, error) {
	res, err := text.HTMLToText(ctx, r, w, text.HTMLOptions{Links: links})
	return res.URLs, err
}

func (stubEnv) buffer() *spill.Buffer { return spill.New(spill.Options{}) }

// BenchmarkSanitizeCore is the mail handler's own work on the corpus,
// without the engine (detection, attachments, verification).
func BenchmarkSanitizeCore(b *testing.B) {
	corpus := benchCorpus(b)
	o := Options{}.withDefaults()
	o.notice, _ = parseNotice("")
	b.SetBytes(corpusBytes(corpus))
	start, cpu0 := time.Now(), cputime.Process()
	n := 0
	for b.Loop() {
		for _, m := range corpus {
			if _, err := sanitizeMessage(context.Background(), o, stubEnv{}, bytes.NewReader(m), io.Discard, "id"); err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	reportRates(b, n, start, cpu0)
}

func reportRates(b *testing.B, n int, start time.Time, cpu0 time.Duration) {
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "msgs/s")
	b.ReportMetric(float64((cputime.Process()-cpu0).Microseconds())/float64(n), "cpu-µs/msg")
}
