package mail

import (
	"github.com/mugai-project/mugai/internal/catalog"
	"github.com/mugai-project/mugai/sanitizer/detect"
)

// nameFindingKeys name, for the notice, the words that say what an
// attachment's declared name hid before it was cleaned for display.
var nameFindingKeys = map[string]string{
	detect.FindingBidiControl:  "notice.name_bidi",
	detect.FindingTrailingDots: "notice.name_trailing_dots",
	detect.FindingControlChars: "notice.name_control",
	detect.FindingDoubleExt:    "notice.name_double_ext",
}

// nameNotice words the findings of a declared attachment name, shown as
// display.
func nameNotice(declared, display string) []NoticeLine {
	var l []NoticeLine
	for _, f := range detect.NameFindings(declared) {
		if key, ok := nameFindingKeys[f.Code]; ok {
			l = append(l, NoticeLine{Ja: catalog.Text(catalog.Japanese, key, display), En: catalog.Text(catalog.English, key, display)})
		}
	}
	return l
}
