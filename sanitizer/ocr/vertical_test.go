package ocr

import (
	"image"
	"testing"
)

func TestMostlyVertical(t *testing.T) {
	h := Word{Text: "住民税のお知らせ", Box: image.Rect(0, 0, 400, 30)}
	v := Word{Text: "拝啓時下", Box: image.Rect(800, 100, 830, 300), Vertical: true}
	for _, tc := range []struct {
		name  string
		words []Word
		want  bool
	}{
		{"None", nil, false},
		{"Horizontal", []Word{h}, false},
		{"Vertical", []Word{v}, true},
		{"MoreHorizontal", []Word{h, v}, false},
		{"Even", []Word{h, v, v}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := mostlyVertical(tc.words); got != tc.want {
				t.Errorf("mostlyVertical = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestBetter: the reading kept is the one with more characters expected
// right, not the one with the higher mean confidence.
func TestBetter(t *testing.T) {
	few := []Word{{Text: "お問い合わせ", Conf: 95}}                                // 6 × 95
	many := []Word{{Text: "納期限までに最寄りの", Conf: 80}, {Text: "金融機関", Conf: 70}} // 10 × 80 + 4 × 70
	if got := better(few, many); len(got) != 2 {
		t.Errorf("better kept %+v, want the longer reading", got)
	}
	if got := better(many, few); len(got) != 2 {
		t.Errorf("better kept %+v, want the longer reading", got)
	}
	if got := better(few, few[:0]); len(got) != 1 {
		t.Errorf("better kept %+v over an empty reading", got)
	}
}
