package transfer

import (
	"context"
	"encoding/base64"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/audit"
	"github.com/mugai-project/mugai/smtpproxy"
)

// arrivalSite is a site whose recipients' addresses the relay serves.
func arrivalSite(t *testing.T, approval bool) *heldSite {
	t.Helper()
	return startHeldSiteWith(t, Options{Approval: approval, MailHost: "lg.example.jp", DownloadURL: "https://dl.example.lg.jp/"})
}

// arrivalMails waits up to a few seconds for want arrival notices in
// the outbox and returns them: recipient and decoded mail.
func (hs *heldSite) arrivalMails(want int) map[string]string {
	hs.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := map[string]string{}
		for _, e := range hs.outboxed() {
			if !strings.Contains(e.ID, "-arrived-") {
				continue
			}
			got[e.Rcpts[0].Addr] = hs.decodedMail(e.ID)
		}
		if len(got) >= want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// decodedMail is the outbox mail id: its raw text, the decoded subject
// and the decoded body.
func (hs *heldSite) decodedMail(id string) string {
	t := hs.t
	t.Helper()
	ob, err := smtpproxy.OpenOutbox(hs.outbox)
	if err != nil {
		t.Fatal(err)
	}
	_, rc, err := ob.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	raw, _ := io.ReadAll(rc)
	m, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	subj, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	body, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, m.Body))
	if err != nil {
		t.Fatal(err)
	}
	return string(raw) + "\n" + subj + "\n" + string(body)
}

// TestArrivalNoticeWithoutApproval: a finished upload to bob queues one
// mail to bob naming the sender, the file and the download site, with
// none of the file's bytes.
func TestArrivalNoticeWithoutApproval(t *testing.T) {
	hs := arrivalSite(t, false)
	alice := hs.newClient(hs.up).login("alice")
	it := hs.uploadOne(alice, "bob", "yosan.txt", []byte(plainText))
	if it.State != Done {
		t.Fatalf("upload: %s %s", it.State, it.Error)
	}
	got := hs.arrivalMails(1)
	m, ok := got["bob@lg.example.jp"]
	if len(got) != 1 || !ok {
		t.Fatalf("arrival notices: %v", got)
	}
	for _, want := range []string{"ファイルが届きました", "A file has arrived for you", "alice", "yosan.txt", "https://dl.example.lg.jp/"} {
		if !strings.Contains(m, want) {
			t.Errorf("the notice lacks %q:\n%s", want, m)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(plainText), "\n") {
		if strings.Contains(m, line) || strings.Contains(m, base64.StdEncoding.EncodeToString([]byte(line))) {
			t.Errorf("the notice carries the file's content %q", line)
		}
	}
	evs, _ := hs.s.audit.Events(context.Background(), audit.Filter{Action: audit.ArrivalNotify})
	if len(evs) != 1 || evs[0].Outcome != "queued" || evs[0].Item != it.ID {
		t.Errorf("audit: %+v", evs)
	}
}

// TestArrivalNoticeAfterApproval: with approval on, bob is told only
// once an approver approved; a rejected upload tells him nothing.
func TestArrivalNoticeAfterApproval(t *testing.T) {
	hs := arrivalSite(t, true)
	alice := hs.newClient(hs.up).login("alice")
	alice.purpose = "予算資料の共有"
	ok := hs.uploadOne(alice, "bob", "yosan.txt", []byte(plainText))
	no := hs.uploadOne(alice, "bob", "betsu.txt", []byte(plainText))
	carol := hs.newClient(hs.up).login("carol")
	if _, page := carol.get("/approvals"); !strings.Contains(page, "yosan.txt") || !strings.Contains(page, "betsu.txt") {
		t.Fatalf("the approver's queue lacks the uploads:\n%s", page)
	}
	if got := hs.arrivalMails(0); len(got) != 0 {
		t.Fatalf("notices before approval: %v", got)
	}
	if resp, _ := carol.postForm("/approvals/"+no.ID, url.Values{"csrf": {carol.csrf}, "decision": {"reject"}, "reason": {"宛先が違います"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reject: %d", resp.StatusCode)
	}
	carol.get("/approvals")
	if resp, _ := carol.postForm("/approvals/"+ok.ID, url.Values{"csrf": {carol.csrf}, "decision": {"approve"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %d", resp.StatusCode)
	}
	got := hs.arrivalMails(1)
	m := got["bob@lg.example.jp"]
	if len(got) != 1 || !strings.Contains(m, "yosan.txt") || strings.Contains(m, "betsu.txt") {
		t.Errorf("arrival notices after one approval and one rejection: %v", got)
	}
}

// TestArrivalNoticeFailedStillAvailable: a notice the relay refuses is
// audited as failed and the item is still bob's to download.
func TestArrivalNoticeFailedStillAvailable(t *testing.T) {
	hs := startHeldSiteWith(t, Options{}) // recipients at localhost: not an LGWAN domain
	alice := hs.newClient(hs.up).login("alice")
	it := hs.uploadOne(alice, "bob", "yosan.txt", []byte(plainText))
	deadline := time.Now().Add(5 * time.Second)
	var evs []audit.Event
	for len(evs) == 0 && time.Now().Before(deadline) {
		evs, _ = hs.s.audit.Events(context.Background(), audit.Filter{Action: audit.ArrivalNotify})
		time.Sleep(20 * time.Millisecond)
	}
	if len(evs) != 1 || evs[0].Outcome != "failed" {
		t.Fatalf("audit of a refused notice: %+v", evs)
	}
	if got, _ := hs.s.item(context.Background(), it.ID); !got.downloadable(time.Now()) {
		t.Errorf("a refused notice kept the item from bob: %s %s", got.State, got.Approval)
	}
}

// TestNoticesGoToTheUsersMail: a user with a mail address gets the
// notices there (bob the arrival, carol the request to approve); one
// without gets them at the guessed name@domain (dave).
func TestNoticesGoToTheUsersMail(t *testing.T) {
	hs := arrivalSite(t, false)
	ctx := context.Background()
	for name, addr := range map[string]string{"bob": "b-tanaka@lg.example.jp", "carol": "c-ito@lg.example.jp"} {
		if err := hs.s.Users().SetMail(ctx, name, addr); err != nil {
			t.Fatal(err)
		}
	}
	alice := hs.newClient(hs.up).login("alice")
	hs.uploadOne(alice, "bob", "yosan.txt", []byte(plainText))
	if got := hs.arrivalMails(1); len(got) != 1 || got["b-tanaka@lg.example.jp"] == "" {
		t.Errorf("bob's arrival notice went to: %v", keys(got))
	}
	_, path := hs.holdMail("shiryo.zip", readCorpus(t, "archive/zip-zipcrypto.zip"))
	ac := hs.newClient(hs.down).login("alice")
	ac.get(path)
	if resp, _ := ac.postForm(path+"/request", url.Values{"csrf": {ac.csrf}, "reason": {"原本が必要です"}}); resp.StatusCode != 200 {
		t.Fatalf("request: %d", resp.StatusCode)
	}
	var to []string
	for _, e := range hs.outboxed() {
		if strings.Contains(e.ID, "-n-") {
			to = append(to, e.Rcpts[0].Addr)
		}
	}
	slices.Sort(to)
	if want := []string{"c-ito@lg.example.jp", "dave@lg.example.jp"}; !slices.Equal(to, want) {
		t.Errorf("the approvers were told at %v; want %v", to, want)
	}
}

func keys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
