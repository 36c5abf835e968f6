package sanitizer

import (
	"testing"
	"time"

	"github.com/mugai-project/mugai/sanitizer/detect"
)

func TestStrictestTakesTheStrictestActionAndLimit(t *testing.T) {
	zaisei := Policy{Actions: map[detect.Kind]Action{detect.XLSX: Disarm, detect.DOCX: Disarm, detect.PDF: Disarm}, Text: TextPolicy{Links: "keep"}}.WithDefaults()
	jumin := Policy{Actions: map[detect.Kind]Action{detect.DOCX: Flatten, detect.Zip: Block}}.WithDefaults()
	jumin.Limits.Timeout.Duration = 30 * time.Second
	p := Strictest(&zaisei, &jumin)
	for k, want := range map[detect.Kind]Action{
		detect.DOCX: Flatten, // 住民課 flattens
		detect.XLSX: Disarm,  // both disarm (住民課 by default)
		detect.PDF:  Flatten, // 住民課's default flattens
		detect.Zip:  Block,   // 住民課 blocks
		detect.PNG:  Reencode,
		detect.EXE:  Block,
	} {
		if got := p.Decide(k); got != want {
			t.Errorf("%s: %s, want %s", k, got, want)
		}
	}
	if p.Limits.Timeout.Duration != 30*time.Second || p.Text.Links != "defang" {
		t.Errorf("limits %+v, text links %q; want the 30s timeout and defang", p.Limits, p.Text.Links)
	}
	if zaisei.Decide(detect.DOCX) != Disarm || len(jumin.Actions) != 2 {
		t.Error("Strictest changed its inputs")
	}
}
