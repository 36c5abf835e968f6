package app_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"

	"github.com/mugai-project/mugai/internal/app"
	"github.com/mugai-project/mugai/internal/app/apptest"
	"github.com/mugai-project/mugai/sanitizer"
)

// startService loads the configuration file text cfg (data_dir is set
// to a temporary folder) and starts the service the way mugai serve
// does: config.Load, app.Check, app.New, Run; Shutdown at the end.
func startService(t *testing.T, cfg string) (*app.Service, string) {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	return apptest.Start(t, fmt.Sprintf("data_dir = %q\n", data)+cfg), data
}

// zipOf is a zip with n small text files.
func zipOf(t *testing.T, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := range n {
		w, err := zw.Create(fmt.Sprintf("memo%d.txt", i))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(w, "議事録 %d\n", i)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestConfigFileTakesEffect: a configuration file's archive limit,
// LibreOffice timeout, English notice and notice template reach the
// formats through the one path mugai serve builds them by: a zip over
// the entry limit is withheld as a bomb, an RTF document given 1 ms is
// withheld as a timeout, a mail's notice is the template's, English
// lines included, and the relay's and the sites' metrics are on the one
// /metrics.
func TestConfigFileTakesEffect(t *testing.T) {
	notice := filepath.Join(t.TempDir(), "notice.tmpl")
	if err := os.WriteFile(notice, []byte("NOTICE english={{.English}}\n{{range .Lines}}* {{.Ja}}\n  {{.En}}\n{{end}}ID {{.ID}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	svc, data := startService(t, fmt.Sprintf(`
[log]
level = "error"
[smtp]
listen = "127.0.0.1:0"
domains = ["lg.example.jp"]
[deliver]
scan_interval = "100ms"
[admin]
listen = "127.0.0.1:0"
[web]
upload_listen = "127.0.0.1:0"
download_listen = "127.0.0.1:0"
plain_http = true
[archive]
max_entries = 3
[office.convert]
timeout = "1ms"
[mail]
english = true
notice_template = %q
`, notice))
	ctx := context.Background()

	t.Run("archive limit", func(t *testing.T) {
		for n, want := range map[int]bool{3: false, 4: true} {
			res, err := svc.Engine.Sanitize(ctx, sanitizer.Input{Name: "memos.zip", Body: bytes.NewReader(zipOf(t, n))})
			if err != nil {
				t.Fatal(err)
			}
			res.Close()
			if got := res.Report.Withheld && res.Report.HasReason(sanitizer.ReasonBomb); got != want {
				t.Errorf("%d entries: withheld as a bomb %v, want %v (%+v)", n, got, want, res.Report.Reasons)
			}
		}
	})

	t.Run("office timeout", func(t *testing.T) {
		rtf := []byte(`{\rtf1\ansi\deff0 {\fonttbl {\f0 Times;}} \f0 Hello from a legacy document.\par}`)
		res, err := svc.Engine.Sanitize(ctx, sanitizer.Input{Name: "letter.rtf", Body: bytes.NewReader(rtf)})
		if err != nil {
			t.Fatal(err)
		}
		res.Close()
		if !res.Report.Withheld || !res.Report.HasReason(sanitizer.ReasonTimeout) {
			t.Errorf("RTF with a 1 ms conversion timeout: withheld %v, reasons %+v; want withheld as timeout", res.Report.Withheld, res.Report.Reasons)
		}
	})

	t.Run("mail notice", func(t *testing.T) {
		var msg bytes.Buffer
		fmt.Fprint(&msg, "From: a@example.com\r\nTo: staff@lg.example.jp\r\nSubject: memos\r\nMIME-Version: 1.0\r\n"+
			"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the memos.\r\n"+
			"--b\r\nContent-Type: application/zip\r\nContent-Disposition: attachment; filename=memos.zip\r\nContent-Transfer-Encoding: base64\r\n\r\n")
		msg.WriteString(wrap76(zipOf(t, 10)))
		msg.WriteString("\r\n--b--\r\n")
		send(t, svc.Relay.Addr().String(), msg.Bytes())
		body := delivered(t, data)
		for _, want := range []string{"NOTICE english=true", `"memos.zip"`} {
			if !strings.Contains(body, want) {
				t.Errorf("delivered body lacks %q:\n%s", want, body)
			}
		}
	})

	t.Run("metrics", func(t *testing.T) {
		resp, err := http.Get("http://" + svc.AdminAddr().String() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{"mugai_smtp_accepted_total", "mugai_sanitize_items_total", "mugai_transfer_uploads_total", "mugai_transfer_downloads_total", "go_goroutines"} {
			if !strings.Contains(string(b), want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})
}

// send submits msg over plain SMTP to staff@lg.example.jp (as an upstream MTA on the
// loopback would; smtp.SendMail insists on verifying STARTTLS).
func send(t *testing.T, addr string, msg []byte) {
	t.Helper()
	sendTo(t, addr, msg, "staff@lg.example.jp")
}

// wrap76 is b in base64 lines of 76 characters (RFC 2045 section 6.8).
func wrap76(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	var out strings.Builder
	for len(s) > 76 {
		out.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	out.WriteString(s)
	return out.String()
}

// delivered waits for the one message in the Maildir under data and
// returns its text body, decoded.
func delivered(t *testing.T, data string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var files []string
	for len(files) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("nothing delivered into the Maildir")
		}
		time.Sleep(50 * time.Millisecond)
		files, _ = filepath.Glob(filepath.Join(data, "maildir", "*", "new", "*"))
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e, err := message.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	err = e.Walk(func(_ []int, part *message.Entity, err error) error {
		if err != nil {
			return err
		}
		if mt, _, _ := part.Header.ContentType(); mt == "text/plain" {
			io.Copy(&text, part.Body)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return text.String()
}
