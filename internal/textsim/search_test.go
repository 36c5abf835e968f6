package textsim

import (
	"slices"
	"testing"
)

func TestSearchable(t *testing.T) {
	lines := []string{"令和八年度住民税の納税通知書", "納期限までに納付してください。", "電話番号 03-1234-5678", "Payment due by 31 January"}
	clean := "令和八年度住民税の納税通知書\n納期限までに納付してください。\n\n電話番号 03-1234-5678\nPayment due by 31 January\n\f"
	for _, tc := range []struct {
		name    string
		got     string
		want    Search
		missing []string
	}{
		{"Clean", clean, Search{}, nil},
		{"SpaceBetweenKanji", "令 和八年度住民税の納税通知書\n納期限までに納付してください。\n電話番号 03-1234-5678\nPayment due by 31 January",
			Search{Spaces: 1}, []string{"令和八年度住民税の納税通"}},
		{"BreakInALine", "令和八年度住民税の納税通知書\n納期\n限までに納付してください。\n電話番号 03-1234-5678\nPayment due by 31 January",
			Search{Breaks: 1}, []string{"知書納期限までに納付して"}},
		{"LatinRunTogether", "令和八年度住民税の納税通知書\n納期限までに納付してください。\n電話番号 03-1234-5678\nPaymentdue by 31 January",
			Search{Joined: 1}, nil},
		{"Nothing", "", Search{}, []string{"令和八年度住民税の納税通", "知書納期限までに納付して", "付してください。電話番号", "03-1234-5678", "-5678Payment", "due", "by", "31", "January"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Searchable(lines, tc.got)
			if got.Spaces != tc.want.Spaces || got.Breaks != tc.want.Breaks || got.Joined != tc.want.Joined {
				t.Errorf("spaces %d, breaks %d, joined %d; want %d, %d, %d", got.Spaces, got.Breaks, got.Joined, tc.want.Spaces, tc.want.Breaks, tc.want.Joined)
			}
			if got.Phrases != 9 {
				t.Errorf("%d phrases, want 9", got.Phrases)
			}
			if !slices.Equal(got.Missing, tc.missing) {
				t.Errorf("missing %q, want %q", got.Missing, tc.missing)
			}
		})
	}
}
