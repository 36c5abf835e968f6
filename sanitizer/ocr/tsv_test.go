package ocr

import (
	"image"
	"strings"
	"testing"
)

const tsvHeader = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"

func TestParseTSV(t *testing.T) {
	page := image.Rect(0, 0, 1000, 1000)
	tsv := tsvHeader +
		"1\t1\t0\t0\t0\t0\t0\t0\t1000\t1000\t-1\t\n" +
		"4\t1\t1\t1\t1\t0\t100\t100\t300\t30\t-1\t\n" +
		"5\t1\t1\t1\t1\t1\t100\t100\t120\t30\t96.5\t住民税\n" +
		"5\t1\t1\t1\t1\t2\t230\t100\t170\t30\t91\tnotice\n" +
		"5\t1\t1\t1\t1\t3\t230\t100\t170\t30\t-1\tlost\n" +
		"4\t1\t2\t1\t1\t0\t800\t100\t30\t400\t-1\t\n" +
		"5\t1\t2\t1\t1\t1\t800\t100\t30\t400\t88\t拝啓時下\n" +
		"5\t1\t2\t1\t1\t2\t990\t990\t50\t50\t88\tclipped\n" +
		"5\t1\t2\t1\t1\t3\t1200\t10\t50\t50\t88\toutside\n" +
		"5\t1\t2\t1\t1\t4\t10\t10\t5\t5\t88\ta\x1bb\n"
	words, err := parseTSV([]byte(tsv), page)
	if err != nil {
		t.Fatal(err)
	}
	want := []Word{
		{Text: "住民税", Box: image.Rect(100, 100, 220, 130), Line: 0, LineBox: image.Rect(100, 100, 400, 130), Conf: 96.5},
		{Text: "notice", Box: image.Rect(230, 100, 400, 130), Line: 0, LineBox: image.Rect(100, 100, 400, 130), Conf: 91},
		{Text: "拝啓時下", Box: image.Rect(800, 100, 830, 500), Line: 1, LineBox: image.Rect(800, 100, 830, 500), Vertical: true, Conf: 88},
		{Text: "clipped", Box: image.Rect(990, 990, 1000, 1000), Line: 1, LineBox: image.Rect(800, 100, 830, 500), Vertical: true, Conf: 88},
	}
	if len(words) != len(want) {
		t.Fatalf("got %d words %+v, want %d", len(words), words, len(want))
	}
	for i := range want {
		if words[i] != want[i] {
			t.Errorf("word %d = %+v, want %+v", i, words[i], want[i])
		}
	}
}

func TestParseTSVRefuses(t *testing.T) {
	page := image.Rect(0, 0, 100, 100)
	for name, tsv := range map[string]string{
		"Empty":         "",
		"NoHeader":      "5\t1\t1\t1\t1\t1\t0\t0\t1\t1\t90\tx\n",
		"ShortRow":      tsvHeader + "5\t1\t1\n",
		"NotANumber":    tsvHeader + "5\t1\t1\t1\t1\t1\tx\t0\t1\t1\t90\tx\n",
		"HugeNumber":    tsvHeader + "5\t1\t1\t1\t1\t1\t99999999999\t0\t1\t1\t90\tx\n",
		"BadConfidence": tsvHeader + "5\t1\t1\t1\t1\t1\t0\t0\t1\t1\t900\tx\n",
		"NotUTF8":       tsvHeader + "5\t1\t1\t1\t1\t1\t0\t0\t1\t1\t90\t\xff\n",
		"LongWord":      tsvHeader + "5\t1\t1\t1\t1\t1\t0\t0\t1\t1\t90\t" + strings.Repeat("x", 300) + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			if w, err := parseTSV([]byte(tsv), page); err == nil {
				t.Errorf("accepted: %+v", w)
			}
		})
	}
}

func FuzzParseTSV(f *testing.F) {
	f.Add([]byte(tsvHeader + "4\t1\t1\t1\t1\t0\t10\t10\t30\t30\t-1\t\n5\t1\t1\t1\t1\t1\t10\t10\t30\t30\t90\t住民\n"))
	f.Add([]byte(tsvHeader))
	page := image.Rect(0, 0, 500, 500)
	f.Fuzz(func(t *testing.T, b []byte) {
		words, err := parseTSV(b, page)
		if err != nil {
			return
		}
		for _, w := range words {
			if w.Text == "" || !w.Box.In(page) || w.Box.Empty() || len(w.Text) > maxWordLen {
				t.Fatalf("bad word %+v", w)
			}
		}
	})
}
