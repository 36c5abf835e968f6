package image

import "fmt"

// Removed lists what the input carried besides pixels. All of it is absent
// from the output by construction; the fields only say what was seen.
type Removed struct {
	EXIF          bool  // an Exif block (JPEG APP1, PNG eXIf, WebP EXIF, TIFF Exif IFD)
	GPS           bool  // the Exif block had a GPS IFD (tag 0x8825)
	XMP           bool  // an XMP packet
	ICC           bool  // an ICC colour profile
	IPTC          bool  // IPTC / Photoshop resources (JPEG APP13, TIFF tag 33723)
	TextChunks    int   // PNG tEXt/iTXt/zTXt chunks
	Comments      int   // JPEG COM segments, GIF comment extensions
	OtherMetadata int   // other ancillary chunks, APPn segments, GIF application extensions
	TrailingBytes int64 // bytes after the end of the image (after IEND, EOI, GIF trailer, RIFF end)
	ExtraFrames   int   // GIF frames or TIFF pages after the first
}

// Any reports whether anything was removed.
func (r Removed) Any() bool { return r != Removed{} }

// Result describes one re-encoded image.
type Result struct {
	InFormat  string // one of the Format constants
	OutFormat string // FormatPNG or FormatJPEG
	Width     int    // of the output
	Height    int
	// FirstFrameOnly is true when the input had more than one frame or page
	// and only the first was kept (animated GIF, multi-page TIFF).
	FirstFrameOnly bool
	// Orientation is the Exif orientation (2–8) that was applied to the
	// pixels, or 0 if none was applied.
	Orientation int
	Removed     Removed
	BytesIn     int64
	BytesOut    int64
}

// note is one fact about what was removed, in English (report) and
// Japanese (notice).
type note struct{ en, ja string }

// notes lists the removal facts of r in report order, once for both
// languages.
func (r Result) notes() []note {
	var n []note
	rm := r.Removed
	add := func(ok bool, en, ja string) {
		if ok {
			n = append(n, note{en, ja})
		}
	}
	addN := func(c int64, en, ja string) {
		if c > 0 {
			n = append(n, note{fmt.Sprintf(en, c), fmt.Sprintf(ja, c)})
		}
	}
	switch {
	case rm.GPS:
		add(true, "EXIF/GPS removed", "Exif情報（GPS位置情報を含む）を削除しました")
	case rm.EXIF:
		add(true, "EXIF removed", "Exif情報を削除しました")
	}
	add(rm.XMP, "XMP removed", "XMPメタデータを削除しました")
	add(rm.ICC, "ICC profile removed", "ICCカラープロファイルを削除しました")
	add(rm.IPTC, "IPTC removed", "IPTC情報を削除しました")
	addN(int64(rm.TextChunks), "%d text chunks removed", "テキスト情報%d件を削除しました")
	addN(int64(rm.Comments), "%d comments removed", "コメント%d件を削除しました")
	addN(int64(rm.OtherMetadata), "%d other metadata blocks removed", "その他のメタデータ%d件を削除しました")
	addN(rm.TrailingBytes, "trailing %d bytes removed", "画像末尾の余分なデータ%dバイトを削除しました")
	if r.FirstFrameOnly {
		c := rm.ExtraFrames
		add(true, fmt.Sprintf("first frame kept, %d more frames removed", c), fmt.Sprintf("最初のコマのみ残し、残り%dコマを削除しました", c))
	}
	return n
}

// Notes returns short English phrases for the report, e.g.
// "EXIF/GPS removed", "trailing 123 bytes removed".
func (r Result) Notes() []string {
	var out []string
	for _, n := range r.notes() {
		out = append(out, n.en)
	}
	return out
}

// NotesJA returns the same facts as Notes in Japanese, for the notice.
func (r Result) NotesJA() []string {
	var out []string
	for _, n := range r.notes() {
		out = append(out, n.ja)
	}
	return out
}
