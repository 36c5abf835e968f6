package transfer

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitizer/detect"
)

// TestNameTricksReportedThroughUpload: a name that hides its extension
// behind a right-to-left override, or ends in dots and spaces that
// Windows drops, is cleaned for storing and showing, and the report of
// the upload (its JSON and the upload page) still says what the name hid.
func TestNameTricksReportedThroughUpload(t *testing.T) {
	t.Parallel()
	ts := startSite(t, Options{PlainHTTP: true})
	alice := ts.newClient(ts.up).login("alice")
	tests := []struct {
		name, clean, finding, words string
		content                     []byte
	}{
		{"請求書\u202Efdp.exe", "請求書fdp.exe", detect.FindingBidiControl, "ファイル名に表示を偽装する制御文字があります", jsPDF("invoice")},
		{"invoice.pdf. . .", "invoice.pdf", detect.FindingTrailingDots, "ファイル名の末尾に点や空白があります", jsPDF("invoice")},
	}
	for _, tt := range tests {
		t.Run(tt.clean, func(t *testing.T) {
			it := ts.uploadOne(alice, "", tt.name, tt.content)
			if it.Name != tt.clean {
				t.Errorf("stored name %q, want %q", it.Name, tt.clean)
			}
			if it.Report == nil || !slices.ContainsFunc(it.Report.Findings, func(f detect.Finding) bool { return f.Code == tt.finding }) {
				t.Fatalf("report findings %+v lack %s", it.Report, tt.finding)
			}
			resp, body := alice.get("/api/items")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /api/items: %d", resp.StatusCode)
			}
			var page struct{ Items []itemView }
			if err := json.Unmarshal([]byte(body), &page); err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(page.Items, func(v itemView) bool { return v.ID == it.ID })
			if i < 0 {
				t.Fatalf("item %s not on the page", it.ID)
			}
			if v := page.Items[i]; v.Name != tt.clean || !strings.Contains(strings.Join(v.Report, "\n"), tt.words) {
				t.Errorf("page shows %q with report %q, want %q and %q", v.Name, v.Report, tt.clean, tt.words)
			}
		})
	}
}
