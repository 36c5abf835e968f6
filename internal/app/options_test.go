package app

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/internal/config"
	"github.com/mugai-project/mugai/smtpproxy"
)

func TestRelayOptions(t *testing.T) {
	c := config.Default()
	o := RelayOptions(&c)
	if o.Listen != ":2525" || o.DataDir != "./data" || o.RetryInitial.Minutes() != 1 || o.QueueLifetime.Hours() != 120 || o.Downstream.Addr != "" {
		t.Fatalf("%+v", o)
	}
	// An unconfigured relay and the default configuration accept the
	// same test domains only.
	if !slices.Equal(c.SMTP.Domains, smtpproxy.DefaultDomains) {
		t.Errorf("default domains %v, the relay's %v", c.SMTP.Domains, smtpproxy.DefaultDomains)
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, in, err string
	}{
		{"defaults", "", ""},
		{"bad net", "[smtp]\nallow_nets = [\"10.0.0/8\"]\n", "allow_nets"},
		{"missing policy", "[process]\npolicy = \"/nonexistent.toml\"\n", "process.policy"},
		{"bad policy", "[process]\npolicy = " + strconv.Quote(write("bad.toml", "[pdf]\nlinks = \"open\"\n")) + "\n", "pdf.links"},
		{"missing notice", "[mail]\nnotice_template = \"/nonexistent.tmpl\"\n", "mail.notice_template"},
		{"bad notice", "[mail]\nnotice_template = " + strconv.Quote(write("bad.tmpl", "{{range .Lines}")) + "\n", "mail.notice_template"},
		{"good notice", "[mail]\nnotice_template = " + strconv.Quote(write("good.tmpl", "{{.ID}}\n")) + "\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Parse([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			err = Check(&c)
			if tc.err == "" && err != nil {
				t.Fatal(err)
			}
			if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("err %v, want %q", err, tc.err)
			}
		})
	}
}

// TestPolicyFileWins: the [pdf], [image] and [text] sections give the
// policy's values, and a field the process.policy file sets wins.
func TestPolicyFileWins(t *testing.T) {
	file := filepath.Join(t.TempDir(), "policy.toml")
	if err := os.WriteFile(file, []byte("[actions]\npdf = \"disarm\"\n[pdf]\ndpi = 100\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Parse([]byte("[pdf]\ndpi = 200\nmax_pages = 7\n[image]\njpeg_quality = 80\n[text]\nlinks = \"remove\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy(&c)
	if err != nil {
		t.Fatal(err)
	}
	if p.PDF.DPI != 200 || p.PDF.MaxPages != 7 || p.Image.JPEGQuality != 80 || p.Text.Links != "remove" || p.PDF.Links != "remove" {
		t.Errorf("from the sections: %+v", p)
	}
	c.Process.Policy = file
	if p, err = policy(&c); err != nil {
		t.Fatal(err)
	}
	if p.PDF.DPI != 100 || p.PDF.MaxPages != 7 || p.Decide("pdf") != "disarm" {
		t.Errorf("with the policy file: %+v", p)
	}
}
