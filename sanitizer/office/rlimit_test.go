package office

import (
	"bytes"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/detect"
)

// lowerASEnv marks the test binary started by
// TestFlattenUnderLowerAddressSpaceLimit under a lowered hard RLIMIT_AS.
const lowerASEnv = "MUGAI_OFFICE_TEST_LOWER_AS"

// lowerAS is the hard address-space limit the child runs under: below
// the converter's default 4 GiB, above what LibreOffice needs.
const lowerAS = 3 << 30

// TestFlattenUnderLowerAddressSpaceLimit: a mugai started under a lower
// hard address-space limit than its converter asks for (systemd LimitAS=,
// a container, ulimit -v) still flattens .doc and RTF, with the lower
// limit, and says so once in its log. The conversions run in a copy of
// this test binary started by prlimit with that limit.
func TestFlattenUnderLowerAddressSpaceLimit(t *testing.T) {
	if os.Getenv(lowerASEnv) != "" {
		flattenUnderLowerLimit(t)
		return
	}
	needSandbox(t, true)
	if testing.Short() || raceEnabled {
		t.Skip("LibreOffice and the WebAssembly renderer take too long in -short or -race runs")
	}
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Skip("needs prlimit (util-linux)")
	}
	cmd := exec.Command(prlimit, "--as="+strconv.Itoa(lowerAS), "--", os.Args[0],
		"-test.run=^TestFlattenUnderLowerAddressSpaceLimit$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), lowerASEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestFlattenUnderLowerAddressSpaceLimit") {
		t.Fatalf("child under a %d-byte address-space limit: %v\n%s", lowerAS, err, out)
	}
}

// flattenUnderLowerLimit is the child's side.
func flattenUnderLowerLimit(t *testing.T) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &rl); err != nil || rl.Max != lowerAS {
		t.Fatalf("hard RLIMIT_AS = %d (%v), want %d", rl.Max, err, lowerAS)
	}
	var logged bytes.Buffer
	e := newEngine(t, sanitizer.Policy{}, HandlerOptions{
		Convert: ConvertOptions{TempDir: t.TempDir()},
		Logger:  slog.New(slog.NewTextHandler(&logged, nil)),
	})
	doc, err := os.ReadFile(filepath.Join("testdata", "clean.doc"))
	if err != nil {
		t.Fatal(err)
	}
	rtf := []byte(`{\rtf1\ansi\deff0{\fonttbl{\f0 Helvetica;}}\f0\fs24 mugai: minutes of the meeting\par}`)
	for _, in := range []struct {
		name string
		body []byte
	}{{"議事録.doc", doc}, {"議事録.rtf", rtf}} {
		res := sanitize(t, e, in.name, in.body)
		if res.Report.Withheld || len(res.Outputs) != 1 || res.Outputs[0].Kind != detect.PDF {
			t.Errorf("%s: withheld %v, %d outputs: %+v", in.name, res.Report.Withheld, len(res.Outputs), res.Report.Reasons)
		}
	}
	if n := strings.Count(logged.String(), "address-space limit is lowered"); n != 1 {
		t.Errorf("the lowered limit is logged %d times, want once:\n%s", n, logged.String())
	}
	if !strings.Contains(logged.String(), "limit_bytes="+strconv.Itoa(lowerAS)) {
		t.Errorf("the log does not name the limit:\n%s", logged.String())
	}
}
