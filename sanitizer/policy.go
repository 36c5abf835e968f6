package sanitizer

import (
	"fmt"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/mugai-project/mugai/sanitizer/detect"
)

// Action is what the engine does with one item.
type Action string

// The actions, after the MIC guideline's 無害化 methods: reduce to text,
// rebuild as an image-only PDF, rebuild without active content, re-encode
// pixels, strip parts, block (delete with a notice) or hold (keep aside
// until someone supplies what is missing, such as a password).
const (
	Text     Action = "text"
	Flatten  Action = "flatten"
	Disarm   Action = "disarm"
	Reencode Action = "reencode"
	Strip    Action = "strip"
	Block    Action = "block"
	Hold     Action = "hold"
	// Both delivers the disarmed file and its flattened PDF side by side
	// (office documents).
	Both Action = "both"
)

func (a Action) valid() bool {
	switch a {
	case Text, Flatten, Disarm, Reencode, Strip, Block, Hold, Both:
		return true
	}
	return false
}

// Duration is a time.Duration written as "90s" or "2m" in a policy file.
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Policy decides the action for each detected kind and bounds every step.
// Its zero value is the safe default, which follows the MIC guideline
// (地方公共団体における情報セキュリティポリシーに関するガイドライン):
// documents become image-only PDFs, images are re-encoded, text is
// rewritten as UTF-8, everything else is removed with a notice.
type Policy struct {
	// Actions overrides the default action per detected kind, for example
	// {pdf = "disarm"}.
	Actions map[detect.Kind]Action `toml:"actions"`
	Limits  Limits                 `toml:"limits"`
	PDF     PDFPolicy              `toml:"pdf"`
	Image   ImagePolicy            `toml:"image"`
	Text    TextPolicy             `toml:"text"`
}

// Limits bound one item and everything nested in it.
type Limits struct {
	MaxInputBytes  int64    `toml:"max_input_bytes"`  // default 100 MiB
	Timeout        Duration `toml:"timeout"`          // per top-level item; default 2m
	MaxDepth       int      `toml:"max_depth"`        // nesting of archives and messages; default 3
	SpillThreshold int64    `toml:"spill_threshold"`  // bytes kept in memory per buffer; default 4 MiB
	MaxOutputBytes int64    `toml:"max_output_bytes"` // per output; default 200 MiB
}

// PDFPolicy configures the PDF handlers.
type PDFPolicy struct {
	DPI           int    `toml:"dpi"`             // render resolution; default 150
	MaxPages      int    `toml:"max_pages"`       // default 1000
	MaxPagePixels int64  `toml:"max_page_pixels"` // per rendered page; default 40 megapixels
	Links         string `toml:"links"`           // "remove" (default) or "keep" URI links when disarming
	// TextLayer is the invisible text that flattened pages carry, so that
	// they can be searched and copied: "auto" (default) the page's own
	// text, read by OCR where a page has none; "extract" the page's own
	// text only; "ocr" OCR of every page; "off" none.
	TextLayer string `toml:"text_layer"`
	// LostText is what a flattened PDF whose text did not render (a font
	// neither embedded nor among the fallback fonts) becomes: "withhold"
	// (default, reason render-lost-text) or "warn" (delivered with a note
	// naming the pages and fonts).
	LostText string `toml:"lost_text"`
}

// ImagePolicy configures image re-encoding.
type ImagePolicy struct {
	MaxPixels   int64 `toml:"max_pixels"`   // default 50 megapixels
	JPEGQuality int   `toml:"jpeg_quality"` // default 90
}

// TextPolicy configures text, CSV and HTML rewriting.
type TextPolicy struct {
	NoCSVBOM bool   `toml:"no_csv_bom"` // CSV gets a UTF-8 BOM so Excel reads it unless set
	Links    string `toml:"links"`      // HTML links: "defang" (default), "keep" or "remove"
}

// defaultActions is the safe default decision per kind. Kinds that are
// not listed are blocked.
var defaultActions = map[detect.Kind]Action{
	detect.PDF: Flatten,
	detect.PNG: Reencode, detect.JPEG: Reencode, detect.GIF: Reencode,
	detect.BMP: Reencode, detect.TIFF: Reencode, detect.WebP: Reencode,
	detect.Text: Text, detect.CSV: Text, detect.TSV: Text, detect.HTML: Text,
	detect.DOCX: Disarm, detect.DOCM: Disarm, detect.XLSX: Disarm, detect.XLSM: Disarm,
	detect.PPTX: Disarm, detect.PPTM: Disarm,
	detect.OLE2: Flatten, detect.RTF: Flatten, detect.ODT: Flatten, detect.ODS: Flatten, detect.ODP: Flatten,
	detect.Zip: Strip, detect.Gzip: Strip, detect.Tar: Strip,
	detect.EML: Text, detect.Calendar: Text,
}

// WithDefaults returns p with every zero field set to its default.
func (p Policy) WithDefaults() Policy {
	l := &p.Limits
	if l.MaxInputBytes <= 0 {
		l.MaxInputBytes = 100 << 20
	}
	if l.Timeout.Duration <= 0 {
		l.Timeout.Duration = 2 * time.Minute
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = 3
	}
	if l.SpillThreshold <= 0 {
		l.SpillThreshold = 4 << 20
	}
	if l.MaxOutputBytes <= 0 {
		l.MaxOutputBytes = 200 << 20
	}
	if p.PDF.DPI <= 0 {
		p.PDF.DPI = 150
	}
	if p.PDF.MaxPages <= 0 {
		p.PDF.MaxPages = 1000
	}
	if p.PDF.MaxPagePixels <= 0 {
		p.PDF.MaxPagePixels = 40_000_000
	}
	if p.PDF.Links == "" {
		p.PDF.Links = "remove"
	}
	if p.PDF.TextLayer == "" {
		p.PDF.TextLayer = "auto"
	}
	if p.PDF.LostText == "" {
		p.PDF.LostText = "withhold"
	}
	if p.Image.MaxPixels <= 0 {
		p.Image.MaxPixels = 50_000_000
	}
	if p.Image.JPEGQuality <= 0 {
		p.Image.JPEGQuality = 90
	}
	if p.Text.Links == "" {
		p.Text.Links = "defang"
	}
	return p
}

// Check reports the first invalid setting.
func (p Policy) Check() error {
	for k, a := range p.Actions {
		if !a.valid() {
			return fmt.Errorf("policy: actions.%s: unknown action %q", k, a)
		}
	}
	switch p.PDF.Links {
	case "", "keep", "remove":
	default:
		return fmt.Errorf("policy: pdf.links must be keep or remove, not %q", p.PDF.Links)
	}
	switch p.PDF.TextLayer {
	case "", "auto", "extract", "ocr", "off":
	default:
		return fmt.Errorf("policy: pdf.text_layer must be auto, extract, ocr or off, not %q", p.PDF.TextLayer)
	}
	switch p.PDF.LostText {
	case "", "withhold", "warn":
	default:
		return fmt.Errorf("policy: pdf.lost_text must be withhold or warn, not %q", p.PDF.LostText)
	}
	switch p.Text.Links {
	case "", "keep", "defang", "remove":
	default:
		return fmt.Errorf("policy: text.links must be keep, defang or remove, not %q", p.Text.Links)
	}
	if p.PDF.DPI > 600 {
		return fmt.Errorf("policy: pdf.dpi %d is above 600", p.PDF.DPI)
	}
	return nil
}

// Decide returns the action for kind k.
func (p Policy) Decide(k detect.Kind) Action {
	if a, ok := p.Actions[k]; ok {
		return a
	}
	if a, ok := defaultActions[k]; ok {
		return a
	}
	return Block
}

// LoadPolicyFile reads a policy from a TOML file. Unknown keys are an
// error, so a misspelt setting never silently falls back to a default.
func LoadPolicyFile(path string) (Policy, error) {
	var p Policy
	md, err := toml.DecodeFile(path, &p)
	if err != nil {
		return Policy{}, fmt.Errorf("policy %s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return Policy{}, fmt.Errorf("policy %s: unknown setting %s", path, und[0])
	}
	if err := p.Check(); err != nil {
		return Policy{}, fmt.Errorf("policy %s: %w", path, err)
	}
	return p, nil
}
