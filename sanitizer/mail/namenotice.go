package mail

import (
	"fmt"

	"github.com/mugai-project/mugai/sanitizer/detect"
)

// nameFindingWords say, for the notice, what an attachment's declared
// name hid before it was cleaned for display: Japanese, English.
var nameFindingWords = map[string][2]string{
	detect.FindingBidiControl:  {"添付ファイル「%s」の名前には表示を偽装する制御文字（RLOなど）が含まれていました", "the name of %q held bidi controls (such as RLO) that disguise it"},
	detect.FindingTrailingDots: {"添付ファイル「%s」の名前の末尾に点や空白がありました（Windowsは取り除いて扱います）", "the name of %q ended in dots or spaces, which Windows drops"},
	detect.FindingControlChars: {"添付ファイル「%s」の名前に制御文字が含まれていました", "the name of %q held control characters"},
	detect.FindingDoubleExt:    {"添付ファイル「%s」の名前は二重の拡張子で種類を偽装しています", "the name of %q disguises its type with a double extension"},
}

// nameNotice words the findings of a declared attachment name, shown as
// display.
func nameNotice(declared, display string) []NoticeLine {
	var l []NoticeLine
	for _, f := range detect.NameFindings(declared) {
		if w, ok := nameFindingWords[f.Code]; ok {
			l = append(l, NoticeLine{Ja: fmt.Sprintf(w[0], display), En: fmt.Sprintf(w[1], display)})
		}
	}
	return l
}
