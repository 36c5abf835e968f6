package transfer

import (
	"context"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mugai-project/mugai/internal/auth"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/detect"
)

// TestPolicyByRecipientDepartment uploads the same Word document to a
// user of 財政課, whose policy rebuilds it as a disarmed .docx, and to
// one of 住民課, whose policy makes it an image PDF.
func TestPolicyByRecipientDepartment(t *testing.T) {
	docx, err := os.ReadFile("../fixtures/corpus/office/docx-clean.docx")
	if err != nil {
		t.Fatal(err)
	}
	base := sanitizer.Policy{}.WithDefaults()
	zaisei := sanitizer.Policy{Actions: map[detect.Kind]sanitizer.Action{detect.DOCX: sanitizer.Disarm}}.WithDefaults()
	jumin := sanitizer.Policy{Actions: map[detect.Kind]sanitizer.Action{detect.DOCX: sanitizer.Flatten}}.WithDefaults()
	byDept := map[string]*sanitizer.Policy{"財政課": &zaisei, "住民課": &jumin}
	var mu sync.Mutex
	var asked []string
	ts := startSite(t, Options{PlainHTTP: true, PolicyFor: func(deps []string) *sanitizer.Policy {
		mu.Lock()
		asked = append(asked, strings.Join(deps, ","))
		mu.Unlock()
		var ps []*sanitizer.Policy
		for _, d := range deps {
			p, ok := byDept[d]
			if !ok {
				p = &base
			}
			ps = append(ps, p)
		}
		return sanitizer.Strictest(ps...)
	}})
	ctx := context.Background()
	for _, u := range []auth.User{{Name: "suzuki", Department: "財政課"}, {Name: "tanaka", Department: "住民課"}} {
		if err := ts.s.Users().Add(ctx, u, testPassword); err != nil {
			t.Fatal(err)
		}
	}
	alice := ts.newClient(ts.up).login("alice")
	for to, want := range map[string]detect.Kind{"suzuki": detect.DOCX, "tanaka": detect.PDF} {
		it := ts.uploadOne(alice, to, "shiryou.docx", docx)
		if it.State != Done || len(it.Outputs) != 1 || it.Report.Outputs[0].Kind != want {
			t.Errorf("to %s: state %s, outputs %+v; want one %s", to, it.State, it.Report.Outputs, want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(asked)
	// The uploader (no department) may download it too.
	if want := []string{",住民課", ",財政課"}; !slices.Equal(asked, want) {
		t.Fatalf("PolicyFor asked for %q; want %q", asked, want)
	}
}
