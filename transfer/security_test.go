package transfer

import (
	"bytes"
	"context"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/audit"
	"github.com/mugai-project/mugai/internal/auth"
)

// TestLockoutDenialOfService: five wrong passwords for alice from
// another machine lock that machine out, not alice at her own desk, on
// either site. The locked machine is told so, and until when; the
// administrators get an alarm once the failures pile up.
func TestLockoutDenialOfService(t *testing.T) {
	t.Parallel()
	ts := startSite(t, Options{PlainHTTP: true, Auth: auth.Options{AlarmFailures: 5}})
	attacker := ts.newClientFrom(ts.up, "127.0.0.2")
	for i := range 5 {
		if st := attacker.tryLogin("alice", "guess"); st != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, st)
		}
	}
	st, page := attacker.tryLoginPage("alice", testPassword)
	if st != http.StatusUnauthorized || !strings.Contains(page, "一時的に止めています") || !strings.Contains(page, ts.clock.Now().Add(15*time.Minute).Local().Format("15:04")) {
		t.Errorf("the locked machine: %d, page does not say it is locked until when", st)
	}
	if strings.Contains(page, "ユーザー名またはパスワードが違います") {
		t.Error("a locked login is told its password is wrong")
	}
	for _, base := range []string{ts.up, ts.down} {
		if st := ts.newClient(base).tryLogin("alice", testPassword); st != http.StatusSeeOther {
			t.Errorf("alice at her own desk on %s: %d, want logged in", base, st)
		}
	}
	evs, _ := ts.s.audit.Events(context.Background(), audit.Filter{Action: audit.LoginAlarm, User: "alice"})
	if len(evs) != 1 || evs[0].IP != "127.0.0.2" {
		t.Errorf("alarm audit: %+v, want one entry from the guessing address", evs)
	}
}

// TestRecipientEnumeration: the 宛先 field does not tell which user
// names exist. A disabled account (outside what the uploader may send
// to) and a name nobody has get the same answer; the page offers the
// names the uploader may send to instead.
func TestRecipientEnumeration(t *testing.T) {
	t.Parallel()
	ts := startSite(t, Options{PlainHTTP: true})
	ctx := context.Background()
	if err := ts.s.Users().Add(ctx, auth.User{Name: "dave"}, testPassword); err != nil {
		t.Fatal(err)
	}
	ts.s.Users().SetDisabled(ctx, "dave", true)
	alice := ts.newClient(ts.up).login("alice")
	answer := func(name string) (int, string) {
		st, body := alice.upload(name, map[string][]byte{"a.txt": []byte(plainText)}, true)
		return st, strings.ReplaceAll(body, name, "NAME")
	}
	st1, b1 := answer("dave")
	st2, b2 := answer("nobody")
	if st1 != http.StatusBadRequest || st1 != st2 || b1 != b2 {
		t.Errorf("disabled account: %d %s\nunknown name: %d %s\nwant the same 400", st1, b1, st2, b2)
	}
	var n int
	ts.s.db.QueryRow(`SELECT count(*) FROM transfer_items`).Scan(&n)
	if n != 0 {
		t.Errorf("%d items stored with refused recipients", n)
	}
	_, page := alice.get("/")
	for _, want := range []string{`<option value="bob">`, `<option value="carol">`} {
		if !strings.Contains(page, want) {
			t.Errorf("the recipient list lacks %s", want)
		}
	}
	if strings.Contains(page, `<option value="dave">`) || strings.Contains(page, `<option value="alice">`) {
		t.Error("the recipient list offers a disabled account or the uploader")
	}
}

// TestUploadOverFileLimitStoresNothing: a request with one file more
// than allowed is refused before anything of it is kept.
func TestUploadOverFileLimitStoresNothing(t *testing.T) {
	t.Parallel()
	ts := startSite(t, Options{PlainHTTP: true, MaxFiles: 3})
	alice := ts.newClient(ts.up).login("alice")
	files := map[string][]byte{}
	for _, n := range []string{"1.txt", "2.txt", "3.txt", "4.txt"} {
		files[n] = []byte(plainText)
	}
	if st, body := alice.upload("", files, true); st != http.StatusRequestEntityTooLarge {
		t.Fatalf("%d %s, want 413", st, body)
	}
	var n int
	ts.s.db.QueryRow(`SELECT count(*) FROM transfer_items`).Scan(&n)
	if n != 0 {
		t.Errorf("%d items recorded by a refused upload", n)
	}
	if ents, _ := os.ReadDir(ts.s.incoming); len(ents) != 0 {
		t.Errorf("%d files left in the incoming folder", len(ents))
	}
	if evs, _ := ts.s.audit.Events(context.Background(), audit.Filter{Action: audit.Upload}); len(evs) != 0 {
		t.Errorf("%d uploads audited", len(evs))
	}
	// A refused 宛先 after the files also keeps none of them.
	if st, _ := alice.upload("nobody", map[string][]byte{"a.txt": []byte(plainText)}, true); st != http.StatusBadRequest {
		t.Errorf("unknown recipient: %d", st)
	}
	if ents, _ := os.ReadDir(ts.s.incoming); len(ents) != 0 {
		t.Errorf("%d files left after a refused recipient", len(ents))
	}
}

// TestApprovalWithoutDecision: a POST without a decision approves
// nothing; a rejection needs a reason, which the uploader reads; errors
// come back as the approval page, not a bare text.
func TestApprovalWithoutDecision(t *testing.T) {
	t.Parallel()
	ts := startSite(t, Options{PlainHTTP: true, Approval: true})
	alice := ts.newClient(ts.up).login("alice")
	alice.purpose = "議会資料の共有"
	it := ts.uploadOne(alice, "bob", "report.txt", []byte(plainText))
	carol := ts.newClient(ts.up).login("carol")
	carol.get("/approvals")
	decide := func(v url.Values) (int, string) {
		v.Set("csrf", carol.csrf)
		resp, b := carol.postForm("/approvals/"+it.ID, v)
		return resp.StatusCode, b
	}
	pending := func() bool {
		got, _ := ts.s.item(context.Background(), it.ID)
		return got.Approval == ApprovalPending
	}
	for _, tc := range []struct {
		name string
		v    url.Values
		want string
	}{
		{"no decision", url.Values{}, "「承認」か「差し戻し」"},
		{"unknown decision", url.Values{"decision": {"yes"}}, "「承認」か「差し戻し」"},
		{"reject without a reason", url.Values{"decision": {"reject"}}, "理由を入力してください"},
		{"reject with a blank reason", url.Values{"decision": {"reject"}, "reason": {"  "}}, "理由を入力してください"},
	} {
		st, page := decide(tc.v)
		if st != http.StatusBadRequest || !strings.Contains(page, tc.want) || !strings.Contains(page, `<header>`) || !strings.Contains(page, "report.txt") {
			t.Errorf("%s: %d, want 400 with the approval page and %q", tc.name, st, tc.want)
		}
		if !pending() {
			t.Fatalf("%s changed the decision", tc.name)
		}
	}
	if st, _ := decide(url.Values{"decision": {"reject"}, "reason": {"宛先に財政課を加えてください"}}); st != http.StatusSeeOther {
		t.Fatalf("reject: %d", st)
	}
	_, js := alice.get("/api/items")
	if !strings.Contains(js, "宛先に財政課を加えてください") || !strings.Contains(js, "差し戻し") {
		t.Errorf("the uploader does not see the reason: %s", js)
	}
	evs, _ := ts.s.audit.Events(context.Background(), audit.Filter{Action: audit.Reject})
	if len(evs) != 1 || !strings.Contains(evs[0].Detail, "宛先に財政課を加えてください") {
		t.Errorf("reject audit: %+v", evs)
	}
}

// TestSelfApprovalNotOffered: an approver's own upload is not in their
// queue, and deciding on it is refused with the page, not a bare text.
func TestSelfApprovalNotOffered(t *testing.T) {
	t.Parallel()
	ts := startSite(t, Options{PlainHTTP: true, Approval: true})
	carol := ts.newClient(ts.up).login("carol")
	carol.purpose = "自分の資料"
	own := ts.uploadOne(carol, "", "carol-own.txt", []byte(plainText))
	if _, page := carol.get("/approvals"); strings.Contains(page, "carol-own.txt") {
		t.Error("the approver's own upload is offered for approval")
	}
	resp, page := carol.postForm("/approvals/"+own.ID, url.Values{"csrf": {carol.csrf}, "decision": {"approve"}})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "自分のアップロードは承認できません") || !strings.Contains(page, "<header>") {
		t.Errorf("self-approval: %d %s", resp.StatusCode, page)
	}
	bob := ts.newClient(ts.up).login("bob")
	if resp, page := bob.get("/approvals"); resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "<header>") {
		t.Errorf("a user on the approval page: %d, want 403 in the layout", resp.StatusCode)
	}
}

// TestPurposeRequiredWithApproval: with approval on, an upload without a
// 目的 is refused, and the approver reads it.
func TestPurposeRequiredWithApproval(t *testing.T) {
	t.Parallel()
	ts := startSite(t, Options{PlainHTTP: true, Approval: true})
	alice := ts.newClient(ts.up).login("alice")
	if st, body := alice.upload("", map[string][]byte{"a.txt": []byte(plainText)}, true); st != http.StatusBadRequest || !strings.Contains(body, "目的") {
		t.Errorf("no purpose: %d %s", st, body)
	}
	alice.purpose = "議会資料の共有"
	ts.uploadOne(alice, "bob", "report.txt", []byte(plainText))
	carol := ts.newClient(ts.up).login("carol")
	_, page := carol.get("/approvals")
	for _, want := range []string{"議会資料の共有", "bob", "テキストに変換"} {
		if !strings.Contains(page, want) {
			t.Errorf("the approval page lacks %q", want)
		}
	}
}

// TestControlCharactersInFileName: a name with control characters is
// cleaned like any other name and the report says so.
func TestControlCharactersInFileName(t *testing.T) {
	t.Parallel()
	ts := startSite(t, Options{PlainHTTP: true})
	alice := ts.newClient(ts.up).login("alice")
	it := ts.uploadOne(alice, "", "memo\x01\x1b\x7f.txt", []byte(plainText))
	if it.Name != "memo.txt" || it.State != Done {
		t.Errorf("stored %q (%s), want the cleaned name memo.txt", it.Name, it.State)
	}
	if _, js := alice.get("/api/items"); !strings.Contains(js, "ファイル名に制御文字があります") {
		t.Errorf("the report does not note the control characters: %s", js)
	}
}

// TestPPAPWrongPasswordKeepsTheField: a wrong password leaves the item
// held with the field, a clear message and the tries left; after the
// last try the item takes no more and the page says an administrator is
// needed.
func TestPPAPWrongPasswordKeepsTheField(t *testing.T) {
	t.Parallel()
	zip, err := os.ReadFile("../fixtures/corpus/archive/zip-zipcrypto.zip")
	if err != nil {
		t.Skip("fixture missing:", err)
	}
	ts := startSite(t, Options{PlainHTTP: true, MaxPasswordTries: 2})
	alice := ts.newClient(ts.up).login("alice")
	it := ts.uploadOne(alice, "", "請求書.zip", zip)
	try := func(pw string) int {
		resp, _ := alice.postForm("/items/"+it.ID+"/password", url.Values{"csrf": {alice.csrf}, "password": {pw}})
		ts.wait(it.ID)
		return resp.StatusCode
	}
	if st := try("wrong"); st != http.StatusAccepted {
		t.Fatalf("first try: %d", st)
	}
	_, js := alice.get("/api/items")
	if !strings.Contains(js, `"needs_password":true`) || !strings.Contains(js, "パスワードが違います。あと 1 回") {
		t.Errorf("after a wrong password: %s", js)
	}
	try("wrong again")
	_, js = alice.get("/api/items")
	if !strings.Contains(js, `"needs_password":false`) || !strings.Contains(js, "管理者に連絡してください") || strings.Contains(js, "パスワードを入力すると") {
		t.Errorf("after the last try: %s", js)
	}
	if st := try("mugai"); st != http.StatusConflict {
		t.Errorf("a try past the limit: %d, want 409", st)
	}
	if got, _ := ts.s.item(context.Background(), it.ID); got.State != Held {
		t.Errorf("state %s, want held", got.State)
	}
}

// TestNextStepNamesTheDownloadSite: a finished upload tells where to
// fetch it.
func TestNextStepNamesTheDownloadSite(t *testing.T) {
	t.Parallel()
	ts := startSite(t, Options{PlainHTTP: true, DownloadURL: "https://mugai.lgwan.example.lg.jp:8081/"})
	alice := ts.newClient(ts.up).login("alice")
	ts.uploadOne(alice, "", "memo.txt", []byte(plainText))
	if _, js := alice.get("/api/items"); !strings.Contains(js, "LGWAN 側の受け取り画面（https://mugai.lgwan.example.lg.jp:8081/）からダウンロードできます") {
		t.Errorf("no next step: %s", js)
	}
}

// TestApproverPreviewOfSanitizedOutput: the approver sees the first page
// of the sanitized PDF as a picture mugai drew, and the files of a
// rebuilt zip; nobody else may fetch the picture.
func TestApproverPreviewOfSanitizedOutput(t *testing.T) {
	t.Parallel()
	ts := startSite(t, Options{PlainHTTP: true, Approval: true})
	alice := ts.newClient(ts.up).login("alice")
	alice.purpose = "報告書の共有"
	pdf := ts.uploadOne(alice, "", "report.pdf", jsPDF("Quarterly report"))
	zipped := ts.uploadOne(alice, "", "資料.zip", zipOf(t, "一覧.txt", plainText, "メモ.txt", plainText))
	sealed := ts.uploadOne(alice, "", "証明書.pdf", sealedLetterPDF())
	if pdf.State != Done || zipped.State != Done || sealed.State != Done {
		t.Fatalf("states %s %s %s", pdf.State, zipped.State, sealed.State)
	}
	carol := ts.newClient(ts.up).login("carol")
	_, page := carol.get("/approvals")
	src := "/approvals/" + pdf.ID + "/preview/0"
	if !strings.Contains(page, `src="`+src+`"`) {
		t.Errorf("no preview picture of the PDF")
	}
	for _, want := range []string{"一覧.txt", "メモ.txt"} {
		if !strings.Contains(page, want) {
			t.Errorf("the zip's file list lacks %s", want)
		}
	}
	resp, body := carol.get(src)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("preview: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	img, err := png.Decode(strings.NewReader(body))
	if err != nil || img.Bounds().Dx() > previewWidth || img.Bounds().Dx() < 100 {
		t.Errorf("preview picture: %v %v", img.Bounds(), err)
	}
	if resp, _ := alice.get(src); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the uploader fetched the approver's preview: %d", resp.StatusCode)
	}
	// A page stored in layers is previewed with both: the text mask and
	// the red seal under it.
	if out, err := readOutput(ts.s, sealed.ID, 0); err != nil || !bytes.Contains(out, []byte("/ImageMask true")) {
		t.Fatalf("the sealed letter is not stored in layers (%v); the case needs one that is", err)
	}
	resp, body = carol.get("/approvals/" + sealed.ID + "/preview/0")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("preview of a page in layers: %d", resp.StatusCode)
	}
	if img, err = png.Decode(strings.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	red, dark := 0, 0
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			switch {
			case r > 0x9000 && g < 0x7000 && b < 0x7000:
				red++
			case r+g+b < 3*0x5000:
				dark++
			}
		}
	}
	if area := img.Bounds().Dx() * img.Bounds().Dy(); red < area/500 || dark < area/100 {
		t.Errorf("the layered page's preview has %d red and %d dark pixels of %d: a layer is missing", red, dark, area)
	}
	if resp, _ := carol.get("/approvals/" + zipped.ID + "/preview/0"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a picture of a zip: %d", resp.StatusCode)
	}
}

// TestRefusedFormsAnswerWithThePage: a button whose form is refused (a
// stale token, an expired login form) ends on the site's page with the
// reason, never on a bare text.
func TestRefusedFormsAnswerWithThePage(t *testing.T) {
	t.Parallel()
	ts := startSite(t, Options{PlainHTTP: true})
	alice := ts.newClient(ts.up).login("alice")
	resp, page := alice.postForm("/logout", url.Values{"csrf": {"stale"}})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "<header>") || !strings.Contains(page, "画面を開き直して") {
		t.Errorf("logout with a stale token: %d %s", resp.StatusCode, page)
	}
	fresh := ts.newClient(ts.up)
	resp, page = fresh.postForm("/login", url.Values{"csrf": {"old"}, "user": {"alice"}, "password": {testPassword}})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, `id="login-button"`) || !strings.Contains(page, "有効期限が切れました") {
		t.Errorf("an expired login form: %d %s", resp.StatusCode, page)
	}
}

// TestCSVInjectionReportedPhoneNumbersKept: a CSV's formula cells are
// neutralized and counted on the page, with examples in the report,
// while its phone numbers and signed numbers stay as they were.
func TestCSVInjectionReportedPhoneNumbersKept(t *testing.T) {
	t.Parallel()
	ts := startSite(t, Options{PlainHTTP: true})
	alice := ts.newClient(ts.up).login("alice")
	it := ts.uploadOne(alice, "", "名簿.csv", []byte("氏名,電話,残高\n山田,+81-48-000-0000,\"-1,234\"\n鈴木,=HYPERLINK(\"http://evil.example\"),+12.5%\n"))
	if it.State != Done {
		t.Fatalf("state %s", it.State)
	}
	down := ts.newClient(ts.down).login("alice")
	_, out := down.get("/files/" + it.ID + "/0")
	if !strings.Contains(out, "山田,+81-48-000-0000") || !strings.Contains(out, `"-1,234"`) || !strings.Contains(out, "+12.5%") || !strings.Contains(out, `"'=HYPERLINK(`) {
		t.Errorf("sanitized CSV:\n%s", out)
	}
	if _, js := alice.get("/api/items"); !strings.Contains(js, "数式として働くセル（先頭に ' を付け、値は保持） ×1") {
		t.Errorf("the page does not count the changed cell: %s", js)
	}
	if n := strings.Join(it.Report.Notes, " "); !strings.Contains(n, `=HYPERLINK(\"http://evil.example\")`) {
		t.Errorf("the report's notes give no example: %q", it.Report.Notes)
	}
}
