package mail

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitizer"

	"github.com/mugai-project/mugai/internal/memtest"
)

// writeLargeMessage writes a message of about size bytes to a file: a
// short text body and two large text attachments in base64.
func writeLargeMessage(t testing.TB, size int64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "large.eml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	w.WriteString(stdHeader + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n大きな添付ファイルです。\r\n--b\r\n")
	line := []byte(strings.Repeat("市民課の受付記録 2026-11-24 番号 0123456789 ", 2) + "\r\n")
	var raw []byte
	for int64(len(raw)) < 57*1024 {
		raw = append(raw, line...)
	}
	chunk := base64.StdEncoding.EncodeToString(raw[:57*1024])
	// Two attachments: the text handler takes up to 64 MiB each.
	for n := 1; n <= 2; n++ {
		if n > 1 {
			w.WriteString("--b\r\n")
		}
		fmt.Fprintf(w, "Content-Type: text/plain; charset=UTF-8\r\nContent-Disposition: attachment; filename=\"data%d.txt\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", n)
		var written int64
		for written < size/2-2048 {
			for i := 0; i < len(chunk); i += 76 {
				w.WriteString(chunk[i:min(i+76, len(chunk))] + "\r\n")
				written += int64(min(76, len(chunk)-i) + 2)
			}
		}
	}
	w.WriteString("--b--\r\n")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLargeMessageMemory sanitizes a 99 MiB message and checks that the
// heap never holds it whole: bodies spill to disk.
func TestLargeMessageMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and sanitizes a 99 MiB message")
	}
	path := writeLargeMessage(t, 99<<20)
	fi, _ := os.Stat(path)
	e := newEngine(t, Options{}, sanitizer.Policy{})
	var res *sanitizer.Result
	peak := memtest.PeakHeap(func() {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		res, err = e.Sanitize(context.Background(), sanitizer.Input{Name: "large.eml", Body: f})
		if err != nil {
			t.Fatal(err)
		}
	})
	defer res.Close()
	if res.Report.Withheld || len(res.Outputs) != 1 {
		t.Fatalf("withheld: %+v", res.Report.Reasons)
	}
	out := res.Outputs[0]
	for _, c := range res.Report.Children {
		if len(c.Outputs) != 1 {
			t.Errorf("attachment %s was not converted: %+v", c.Name, c.Reasons)
		}
	}
	t.Logf("input %.1f MiB, output %.1f MiB, peak heap in use %.1f MiB, %.0f ms", float64(fi.Size())/(1<<20), float64(out.Size())/(1<<20), float64(peak)/(1<<20), res.Report.Timings.Total)
	if peak > 64<<20 {
		t.Errorf("peak heap %d MiB for a %d MiB message: bodies are held in memory", peak>>20, fi.Size()>>20)
	}
}
