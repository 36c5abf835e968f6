package transfer

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/internal/audit"
)

// zipOfSelection posts the bulk form with the given values and returns
// the response and its body.
func (c *client) zipOfSelection(values ...string) (*http.Response, []byte) {
	c.t.Helper()
	v := url.Values{"csrf": {c.csrf}, "f": values}
	req, _ := http.NewRequest("POST", c.base+"/files/zip", strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

func selection(it *Item) []string {
	var out []string
	for _, o := range it.Outputs {
		out = append(out, it.ID+"/"+strconv.Itoa(o.Index))
	}
	return out
}

// TestZipOfSelectedOutputs: the zip holds exactly the selected sanitized
// outputs (each matches the report's output hash, none is an upload),
// under unique UTF-8 names flagged as such, and each file is audited and
// marked downloaded as a single download is.
func TestZipOfSelectedOutputs(t *testing.T) {
	t.Parallel()
	ts := startSite(t, Options{PlainHTTP: true})
	alice := ts.newClient(ts.up).login("alice")
	uploads := map[string][]byte{"議事録.docm": hostileDocm(t, "議事録の本文"), "予算表.xlsx": budgetXlsx(t, "令和8年度予算")}
	var items []*Item
	for name, b := range uploads {
		items = append(items, ts.uploadOne(alice, "bob", name, b))
	}
	// A second 予算表.xlsx from bob: the same output name.
	bobUp := ts.newClient(ts.up).login("bob")
	items = append(items, ts.uploadOne(bobUp, "alice", "予算表.xlsx", budgetXlsx(t, "補正予算")))
	var picked []string
	want := map[string]bool{} // report output hashes
	for _, it := range items {
		if it.State != Done || it.Report == nil {
			t.Fatalf("%s: %s", it.Name, it.State)
		}
		picked = append(picked, selection(it)...)
		for _, o := range it.Report.Outputs {
			want[o.SHA256] = true
		}
	}
	down := ts.newClient(ts.down).login("alice")
	resp, body := down.zipOfSelection(picked...)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("zip: %d %s", resp.StatusCode, body)
	}
	for h, v := range map[string]string{"Content-Type": "application/zip", "X-Content-Type-Options": "nosniff", "Content-Security-Policy": fileCSP, "Cache-Control": "no-store"} {
		if got := resp.Header.Get(h); got != v {
			t.Errorf("%s: %q, want %q", h, got, v)
		}
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="mugai-`) {
		t.Errorf("Content-Disposition %q", cd)
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if f.Flags&zipEFS == 0 {
			t.Errorf("%s: no UTF-8 (EFS) flag", f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		sum := sha256.Sum256(b)
		if !want[hex.EncodeToString(sum[:])] {
			t.Errorf("%s is not one of the report's outputs", f.Name)
		}
		for n, in := range uploads {
			if bytes.Equal(b, in) {
				t.Errorf("%s is the upload %s", f.Name, n)
			}
		}
	}
	if got := strings.Join(names, " "); len(zr.File) != len(picked) || !strings.Contains(got, "予算表.xlsx") || !strings.Contains(got, "予算表 (2).xlsx") || !strings.Contains(got, "議事録.docx") {
		t.Errorf("entries %q for %d outputs", got, len(picked))
	}
	// Audited one by one, and marked.
	events, err := ts.s.Audit().Events(context.Background(), audit.Filter{Action: audit.Download})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != len(picked) {
		t.Errorf("%d download events for %d files", len(events), len(picked))
	}
	for _, e := range events {
		if e.User != "alice" || e.SHA256Out == "" || !strings.Contains(e.Detail, "zip=") {
			t.Errorf("event %+v", e)
		}
	}
	marks, err := ts.s.downloads(context.Background(), "alice", items)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if len(marks[it.ID]) != len(it.Outputs) {
			t.Errorf("%s: marked %v", it.Name, marks[it.ID])
		}
	}
	if _, page := down.get("/?status=new"); !strings.Contains(page, "該当するファイルはありません") {
		t.Errorf("files still listed as not downloaded")
	}
}

// TestZipRefusals: a selection with another user's file is refused
// whole, as a single download is (404); none or too many files send the
// user back with words; a stored output that no longer matches its hash
// breaks the zip rather than passing on other bytes.
func TestZipRefusals(t *testing.T) {
	t.Parallel()
	ts := startSite(t, Options{PlainHTTP: true, MaxFiles: 2})
	alice := ts.newClient(ts.up).login("alice")
	a := ts.uploadOne(alice, "", "a.txt", []byte("alice's words\n"))
	b := ts.uploadOne(alice, "", "b.txt", []byte("more words\n"))
	bobUp := ts.newClient(ts.up).login("bob")
	private := ts.uploadOne(bobUp, "", "bob.txt", []byte("bob's words\n"))
	if resp, _ := alice.zipOfSelection(selection(a)...); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the upload site made a zip: %d", resp.StatusCode)
	}
	down := ts.newClient(ts.down).login("alice")
	if resp, _ := down.zipOfSelection(append(selection(a), selection(private)...)...); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another user's file in the selection: %d", resp.StatusCode)
	}
	for _, tc := range []struct {
		values []string
		where  string
		words  string
	}{
		{nil, "/?zip=none", "ファイルが選ばれていません"},
		{append(append(selection(a), selection(b)...), a.ID+"/9"), "/?zip=many", "2件までです"},
	} {
		resp, _ := down.zipOfSelection(tc.values...)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != tc.where {
			t.Errorf("%v: %d %s", tc.values, resp.StatusCode, resp.Header.Get("Location"))
		}
		if _, page := down.get(tc.where); !strings.Contains(page, tc.words) {
			t.Errorf("%s does not say %q", tc.where, tc.words)
		}
	}
	if err := ts.s.outputs.Put(context.Background(), b.ID, 0, strings.NewReader("changed in storage")); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", ts.down+"/files/zip", strings.NewReader(url.Values{"csrf": {down.csrf}, "f": append(selection(a), selection(b)...)}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// The answer breaks off: before its headers when the zip is small
	// (the client sees EOF), or with no central directory.
	if resp, err := down.c.Do(req); err == nil {
		body, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		if _, err := zip.NewReader(bytes.NewReader(body), int64(len(body))); err == nil && rerr == nil {
			t.Errorf("a zip with a changed output opens")
		}
	}
	if n, _ := ts.s.downloads(context.Background(), "alice", []*Item{b}); len(n[b.ID]) != 0 {
		t.Errorf("the changed output was marked downloaded")
	}
}
