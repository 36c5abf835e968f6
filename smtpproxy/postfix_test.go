package smtpproxy_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-smtp"

	"github.com/mugai-project/mugai/internal/app"
	"github.com/mugai-project/mugai/internal/freeport"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/smtpproxy"
)

// postfixMTA is a throwaway Postfix instance: its own config and queue
// folders in a temporary folder, SMTP on a free loopback port, virtual
// delivery of every lg.example.jp recipient into one Maildir.
type postfixMTA struct {
	addr    string
	maildir string // .../vmail/mailbox
	conf    string
}

func startPostfix(t *testing.T) *postfixMTA {
	t.Helper()
	bin, err := exec.LookPath("postfix")
	if err != nil {
		if _, err2 := os.Stat("/usr/sbin/postfix"); err2 != nil {
			t.Skip("postfix is not installed (Debian package postfix): skipping the test with a real LGWAN MTA")
		}
		bin = "/usr/sbin/postfix"
	}
	if os.Geteuid() != 0 {
		t.Skip("a private Postfix instance needs root to start its master")
	}
	nobody := 65534
	root := t.TempDir()
	// Postfix's unprivileged daemons must reach the queue folder.
	os.Chmod(root, 0o755)
	os.Chmod(filepath.Dir(root), 0o755)
	d := func(s string) string { return filepath.Join(root, s) }
	for _, s := range []string{"conf", "queue", "data", "vmail"} {
		if err := os.MkdirAll(d(s), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	chownTo(t, d("data"), "postfix")
	os.Chown(d("vmail"), nobody, nobody)
	port := freeport.Port(t)
	mainCF := fmt.Sprintf(`compatibility_level = 3.6
queue_directory = %s
data_directory = %s
mail_owner = postfix
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = lgwan.test
mydestination =
mynetworks = 127.0.0.0/8
relay_domains =
virtual_mailbox_domains = lg.example.jp
virtual_mailbox_base = %s
virtual_mailbox_maps = static:mailbox/
virtual_uid_maps = static:%d
virtual_gid_maps = static:%d
virtual_minimum_uid = 1
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
maillog_file_prefixes = %s
maillog_file = %s
smtputf8_enable = no
biff = no
`, d("queue"), d("data"), d("vmail"), nobody, nobody, root, d("maillog"))
	// The same master.cf as bench/relay.sh.
	masterCF, err := os.ReadFile(filepath.Join("testdata", "postfix-master.cf"))
	if err != nil {
		t.Fatal(err)
	}
	masterCF = bytes.ReplaceAll(masterCF, []byte("LISTEN_PORT"), []byte(strconv.Itoa(port)))
	os.WriteFile(d("conf/main.cf"), []byte(mainCF), 0o644)
	os.WriteFile(d("conf/master.cf"), masterCF, 0o644)
	if out, err := exec.Command(bin, "-c", d("conf"), "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(d("maillog"))
		t.Fatalf("postfix start: %v\n%s\n%s", err, out, log)
	}
	t.Cleanup(func() {
		exec.Command(bin, "-c", d("conf"), "abort").Run()
		if t.Failed() {
			log, _ := os.ReadFile(d("maillog"))
			t.Logf("postfix log:\n%s", log)
		}
	})
	p := &postfixMTA{addr: fmt.Sprintf("127.0.0.1:%d", port), maildir: d("vmail/mailbox"), conf: d("conf")}
	waitUntil(t, "postfix to listen", func() bool {
		c, err := net.Dial("tcp", p.addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return p
}

func (p *postfixMTA) messages(t *testing.T) []string {
	t.Helper()
	dir := filepath.Join(p.maildir, "new")
	ents, _ := os.ReadDir(dir)
	var out []string
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err == nil {
			out = append(out, string(b))
		}
	}
	return out
}

func chownTo(t *testing.T, path, user string) {
	t.Helper()
	out, err := exec.Command("id", "-u", user).Output()
	if err != nil {
		t.Skipf("no %s user: %v", user, err)
	}
	var uid int
	fmt.Sscan(string(out), &uid)
	os.Chown(path, uid, -1)
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "fixtures", "corpus", name))
	if err != nil {
		t.Skipf("fixture %s: %v", name, err)
	}
	return b
}

func b64(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	var out strings.Builder
	for len(s) > 76 {
		out.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	return out.String() + s + "\r\n"
}

// japaneseMail is an HTML mail in Japanese with a PDF, an .exe and a
// macro-enabled Word document attached; it returns the attachments too.
func japaneseMail(t *testing.T) (msg string, pdf, exe, docm []byte) {
	pdf = readFixture(t, "pdf/clean-en-3pages.pdf")
	exe = readFixture(t, "exec/setup.exe")
	docm = readFixture(t, "office/docm-autoopen.docm")
	html := "<html><body><p>お世話になっております。</p><p>請求書を<a href=\"http://evil.example/\">こちら</a>からご確認ください。</p><script>alert(1)</script></body></html>"
	var b strings.Builder
	b.WriteString("From: =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte("取引先")) + "?= <sender@example.com>\r\n")
	b.WriteString("To: user@lg.example.jp\r\n")
	b.WriteString("Subject: " + mime.BEncoding.Encode("UTF-8", "請求書の送付") + "\r\n")
	b.WriteString("Date: Mon, 2 Mar 2026 10:00:00 +0900\r\nMessage-ID: <e2e@example.com>\r\nMIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n")
	b.WriteString("--outer\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64([]byte(html)))
	b.WriteString("--outer\r\nContent-Type: application/pdf; name=\"請求書.pdf\"\r\nContent-Disposition: attachment; filename=\"invoice.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(pdf))
	b.WriteString("--outer\r\nContent-Type: application/octet-stream; name=\"setup.exe\"\r\nContent-Disposition: attachment; filename=\"setup.exe\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(exe))
	b.WriteString("--outer\r\nContent-Type: application/vnd.ms-word.document.macroEnabled.12; name=\"report.docm\"\r\nContent-Disposition: attachment; filename=\"report.docm\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(docm))
	b.WriteString("--outer--\r\n")
	return b.String(), pdf, exe, docm
}

// decodedParts returns the decoded bodies of every leaf part of msg.
func decodedParts(t *testing.T, msg string) [][]byte {
	t.Helper()
	e, err := message.Read(strings.NewReader(msg))
	if err != nil {
		t.Fatalf("delivered message does not parse: %v", err)
	}
	var parts [][]byte
	err = e.Walk(func(_ []int, p *message.Entity, err error) error {
		if err != nil {
			return err
		}
		if mr := p.MultipartReader(); mr != nil {
			return nil
		}
		b, err := io.ReadAll(p.Body)
		if err != nil {
			return err
		}
		parts = append(parts, b)
		return nil
	})
	if err != nil {
		t.Fatalf("walking the delivered message: %v", err)
	}
	if len(parts) == 0 {
		t.Fatal("the delivered message has no parts")
	}
	return parts
}

// TestPostfixEndToEnd: mail comes in from a real SMTP client, goes
// through mugai, and arrives in a real Postfix's Maildir as mugai's
// rebuilt message: no HTML, no executable, no byte of the original's
// attachments; the original is held.
func TestPostfixEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Postfix and the PDF renderer")
	}
	pf := startPostfix(t)
	data := t.TempDir()
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	eng, err := app.NewEngine(app.EngineOptions{Sanitizer: sanitizer.Options{TempDir: t.TempDir(), Logger: log}})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	q, db := smtpproxy.OpenTestStores(t, data)
	r, err := smtpproxy.New(smtpproxy.Options{
		DataDir: data, Listen: "127.0.0.1:0", Hostname: "mugai.test", Domains: []string{"lg.example.jp"},
		Downstream: smtpproxy.Remote{Addr: pf.addr}, ScanInterval: 100 * time.Millisecond, Logger: log,
	}, eng, q, db)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Listen(); err != nil {
		t.Fatal(err)
	}
	go r.Serve()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r.Shutdown(ctx)
	}()

	msg, pdf, exe, docm := japaneseMail(t)
	c, err := smtp.Dial(r.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SendMail("sender@example.com", []string{"user@lg.example.jp"}, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	c.Close()
	waitUntil(t, "delivery into Postfix's Maildir", func() bool { return len(pf.messages(t)) == 1 })
	got := pf.messages(t)[0]

	if strings.Contains(got, b64(exe)[:76]) {
		t.Error("the executable's bytes reached the LGWAN Maildir")
	}
	if strings.Contains(got, msg) {
		t.Error("the original message reached the LGWAN Maildir")
	}
	m, err := mail.ReadMessage(strings.NewReader(got))
	if err != nil {
		t.Fatalf("delivered message does not parse: %v", err)
	}
	// Only mugai's output crosses: no delivered part, decoded, holds an
	// original attachment, not even the PDF and the Word document that
	// arrive in rebuilt form.
	for i, part := range decodedParts(t, got) {
		for name, orig := range map[string][]byte{"pdf": pdf, "exe": exe, "docm": docm} {
			if bytes.Contains(part, orig) {
				t.Errorf("delivered part %d carries the original %s", i, name)
			}
		}
	}
	if m.Header.Get("X-Mugai-ID") == "" {
		t.Error("no X-Mugai-ID: not mugai's message")
	}
	lower := strings.ToLower(got)
	for _, bad := range []string{"text/html", "<script", "application/octet-stream", "macroenabled", "vbaproject"} {
		if strings.Contains(lower, bad) {
			t.Errorf("delivered message contains %q", bad)
		}
	}
	// The mail handler's promise: text body, flattened PDF, disarmed docx.
	for _, want := range []string{"content-type: text/plain; charset=utf-8", "content-type: application/pdf", "content-type: application/vnd.openxmlformats-officedocument.wordprocessingml.document"} {
		if !strings.Contains(lower, want) {
			t.Errorf("delivered message lacks %q", want)
		}
	}
	t.Logf("delivered via Postfix: Content-Type %s, %d bytes", m.Header.Get("Content-Type"), len(got))
	for _, line := range strings.Split(got, "\n") {
		if strings.HasPrefix(strings.ToLower(line), "content-type:") {
			t.Logf("  %s", strings.TrimSpace(line))
		}
	}
}
