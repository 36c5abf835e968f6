package app_test

import (
	"bytes"
	"fmt"
	"net/smtp"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"

	"github.com/mugai-project/mugai/internal/app"
	"github.com/mugai-project/mugai/internal/config"
)

// TestDepartmentPoliciesByRecipientDomain sends the same Word document
// through the relay and the engine to 財政課, whose policy rebuilds it
// as a disarmed .docx, to 住民課, whose policy turns it into an image
// PDF, and to both at once, who get the stricter: the PDF.
func TestDepartmentPoliciesByRecipientDomain(t *testing.T) {
	docx, err := os.ReadFile("../../fixtures/corpus/office/docx-clean.docx")
	if err != nil {
		t.Fatal(err)
	}
	svc, data := startService(t, `
[log]
level = "error"
[smtp]
listen = "127.0.0.1:0"
domains = ["zaisei.example.lg.jp", "jumin.example.lg.jp"]
[admin]
listen = ""
[web]
upload_listen = ""
download_listen = ""

[[policy.domain]]
name = "zaisei.example.lg.jp"
actions = { docx = "disarm" }

[[policy.domain]]
name = "Jumin.Example.LG.jp"
actions = { docx = "flatten" }
`)
	var msg bytes.Buffer
	fmt.Fprint(&msg, "From: a@example.com\r\nSubject: 資料\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n資料です。\r\n"+
		"--b\r\nContent-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document\r\n"+
		"Content-Disposition: attachment; filename=shiryou.docx\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	msg.WriteString(wrap76(docx))
	msg.WriteString("\r\n--b--\r\n")
	addr := svc.Relay.Addr().String()
	sendTo(t, addr, msg.Bytes(), "zaisei@zaisei.example.lg.jp")
	sendTo(t, addr, msg.Bytes(), "jumin@jumin.example.lg.jp")
	sendTo(t, addr, msg.Bytes(), "both@zaisei.example.lg.jp", "both@jumin.example.lg.jp")

	docxType := "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	for rcpt, want := range map[string]string{
		"zaisei@zaisei.example.lg.jp": docxType,
		"jumin@jumin.example.lg.jp":   "application/pdf",
		"both@zaisei.example.lg.jp":   "application/pdf",
		"both@jumin.example.lg.jp":    "application/pdf",
	} {
		if got := attachmentTypes(t, filepath.Join(data, "maildir", rcpt)); !slices.Equal(got, []string{want}) {
			t.Errorf("%s got attachments %v; want one %s", rcpt, got, want)
		}
	}
}

// sendTo submits msg over plain SMTP to rcpts.
func sendTo(t *testing.T, addr string, msg []byte, rcpts ...string) {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("a@example.com"); err != nil {
		t.Fatal(err)
	}
	for _, r := range rcpts {
		if err := c.Rcpt(r); err != nil {
			t.Fatal(err)
		}
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write(msg)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
}

// attachmentTypes waits for the one message in the Maildir dir and
// returns the media types of its attachments.
func attachmentTypes(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	for deadline := time.Now().Add(120 * time.Second); len(files) == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("nothing delivered into %s", dir)
		}
		files, _ = filepath.Glob(filepath.Join(dir, "new", "*"))
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
	var types []string
	err = e.Walk(func(_ []int, part *message.Entity, err error) error {
		if err != nil {
			return err
		}
		if disp, _, _ := part.Header.ContentDisposition(); disp == "attachment" {
			mt, _, _ := part.Header.ContentType()
			types = append(types, mt)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return types
}

func TestConfigCheckRefusesBadPolicyEntries(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"unknown action", "[[policy.department]]\nname = \"住民課\"\nactions = { docx = \"shred\" }\n", `"住民課": policy: actions.docx`},
		{"missing file", "[[policy.domain]]\nname = \"a.example.jp\"\nfile = \"/nonexistent/policy.toml\"\n", `"a.example.jp" file`},
		{"twice", "[[policy.department]]\nname = \"財政課\"\n[[policy.department]]\nname = \"財政課\"\n", "given twice"},
		{"no name", "[[policy.domain]]\nactions = { pdf = \"disarm\" }\n", "without a name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Parse([]byte(tc.in))
			if err == nil {
				err = app.Check(&c)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("config = %v; want an error about %q", err, tc.want)
			}
		})
	}
}
