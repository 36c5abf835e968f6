package config

import (
	"strings"
	"time"

	"github.com/mugai-project/mugai/sanitizer"
)

// Archive bounds zip, gzip and tar files and everything nested in them
// (a limit reached withholds the whole archive as a likely bomb).
type Archive struct {
	MaxEntries    int   `toml:"max_entries"`     // files across the tree
	MaxTotalBytes int64 `toml:"max_total_bytes"` // uncompressed bytes across the tree
	MaxRatio      int64 `toml:"max_ratio"`       // uncompressed:compressed per entry
	RatioFloor    int64 `toml:"ratio_floor"`     // entries smaller than this are not held to max_ratio
}

// Office configures Word, Excel and PowerPoint files: the rules and
// limits of rebuilding OOXML, and the LibreOffice sandbox that flattens
// legacy .doc/.xls/.ppt, RTF and ODF into PDFs.
type Office struct {
	KeepHyperlinks bool          `toml:"keep_hyperlinks"` // keep http, https and mailto links
	JPEGQuality    int           `toml:"jpeg_quality"`    // re-encoded JPEG images, 1-100
	Limits         OfficeLimits  `toml:"limits"`
	Convert        OfficeConvert `toml:"convert"`
}

// OfficeLimits bound reading one OOXML document.
type OfficeLimits struct {
	MaxEntries     int   `toml:"max_entries"`
	MaxTotalBytes  int64 `toml:"max_total_bytes"`
	MaxEntryBytes  int64 `toml:"max_entry_bytes"`
	MaxRatio       int64 `toml:"max_ratio"`
	MaxXMLDepth    int   `toml:"max_xml_depth"`
	MaxAttrs       int   `toml:"max_attrs"`
	MaxImagePixels int64 `toml:"max_image_pixels"`
	MaxCapture     int   `toml:"max_capture"`
}

// OfficeConvert is the LibreOffice sandbox (bubblewrap, prlimit).
type OfficeConvert struct {
	Soffice   string             `toml:"soffice"`
	Bwrap     string             `toml:"bwrap"`
	Prlimit   string             `toml:"prlimit"`
	Timeout   sanitizer.Duration `toml:"timeout"`
	MaxMemory int64              `toml:"max_memory"`
	MaxFile   int64              `toml:"max_file"`
	MaxFiles  int                `toml:"max_files"`
}

// Mail configures the sanitized message: its notice, charset, links and
// the limits of reading the incoming one.
type Mail struct {
	NoticeTemplate     string `toml:"notice_template"` // text/template file; "" = the built-in notice
	English            bool   `toml:"english"`         // an English line under each Japanese one
	Charset            string `toml:"charset"`         // UTF-8 or ISO-2022-JP
	Links              string `toml:"links"`           // keep, defang, remove; "" = as text.links
	InlineImages       string `toml:"inline_images"`   // drop or attach
	NFKC               bool   `toml:"nfkc"`
	KeepReadReceipt    bool   `toml:"keep_read_receipt"`
	MaxHeaders         int    `toml:"max_headers"`
	MaxHeaderBytes     int    `toml:"max_header_bytes"`
	MaxHeaderLineBytes int    `toml:"max_header_line_bytes"`
	MaxDepth           int    `toml:"max_depth"`
	MaxParts           int    `toml:"max_parts"`
	MaxBodyBytes       int64  `toml:"max_body_bytes"`
}

// PDF configures flattening and disarming PDFs.
type PDF struct {
	DPI           int    `toml:"dpi"`
	MaxPages      int    `toml:"max_pages"`
	MaxPagePixels int64  `toml:"max_page_pixels"`
	Links         string `toml:"links"`      // remove or keep
	TextLayer     string `toml:"text_layer"` // auto, extract, ocr or off
}

// Image configures re-encoding images.
type Image struct {
	MaxPixels   int64 `toml:"max_pixels"`
	JPEGQuality int   `toml:"jpeg_quality"`
}

// Text configures rewriting text, CSV and HTML.
type Text struct {
	NoCSVBOM bool   `toml:"no_csv_bom"`
	Links    string `toml:"links"` // defang, keep or remove
}

// defaultFormats sets the format sections of c to the defaults of the
// format packages.
func defaultFormats(c *Config) {
	c.Archive = Archive{MaxEntries: 1000, MaxTotalBytes: 512 << 20, MaxRatio: 100, RatioFloor: 1 << 20}
	c.Office = Office{
		JPEGQuality: 90,
		Limits: OfficeLimits{MaxEntries: 10_000, MaxTotalBytes: 512 << 20, MaxEntryBytes: 256 << 20, MaxRatio: 200,
			MaxXMLDepth: 256, MaxAttrs: 512, MaxImagePixels: 50_000_000, MaxCapture: 200_000},
		Convert: OfficeConvert{Soffice: "soffice", Bwrap: "bwrap", Prlimit: "prlimit", Timeout: dur(90 * time.Second),
			MaxMemory: 4 << 30, MaxFile: 512 << 20, MaxFiles: 1024},
	}
	c.Mail = Mail{Charset: "UTF-8", InlineImages: "drop", MaxHeaders: 1000, MaxHeaderBytes: 1 << 20, MaxHeaderLineBytes: 64 << 10,
		MaxDepth: 20, MaxParts: 500, MaxBodyBytes: 64 << 20}
	c.PDF = PDF{DPI: 150, MaxPages: 1000, MaxPagePixels: 40_000_000, Links: "remove", TextLayer: "auto"}
	c.Image = Image{MaxPixels: 50_000_000, JPEGQuality: 90}
	c.Text = Text{Links: "defang"}
}

// checkFormats reports the invalid values of the format sections.
func (c *Config) checkFormats(bad func(format string, a ...any)) {
	positive := map[string]int64{
		"archive.max_entries": int64(c.Archive.MaxEntries), "archive.max_total_bytes": c.Archive.MaxTotalBytes,
		"archive.max_ratio": c.Archive.MaxRatio, "archive.ratio_floor": c.Archive.RatioFloor,
		"office.limits.max_entries": int64(c.Office.Limits.MaxEntries), "office.limits.max_total_bytes": c.Office.Limits.MaxTotalBytes,
		"office.limits.max_entry_bytes": c.Office.Limits.MaxEntryBytes, "office.limits.max_ratio": c.Office.Limits.MaxRatio,
		"office.limits.max_xml_depth": int64(c.Office.Limits.MaxXMLDepth), "office.limits.max_attrs": int64(c.Office.Limits.MaxAttrs),
		"office.limits.max_image_pixels": c.Office.Limits.MaxImagePixels, "office.limits.max_capture": int64(c.Office.Limits.MaxCapture),
		"office.convert.timeout": int64(c.Office.Convert.Timeout.Duration), "office.convert.max_memory": c.Office.Convert.MaxMemory,
		"office.convert.max_file": c.Office.Convert.MaxFile, "office.convert.max_files": int64(c.Office.Convert.MaxFiles),
		"mail.max_headers": int64(c.Mail.MaxHeaders), "mail.max_header_bytes": int64(c.Mail.MaxHeaderBytes),
		"mail.max_header_line_bytes": int64(c.Mail.MaxHeaderLineBytes), "mail.max_depth": int64(c.Mail.MaxDepth),
		"mail.max_parts": int64(c.Mail.MaxParts), "mail.max_body_bytes": c.Mail.MaxBodyBytes,
		"pdf.max_pages": int64(c.PDF.MaxPages), "pdf.max_page_pixels": c.PDF.MaxPagePixels, "image.max_pixels": c.Image.MaxPixels,
	}
	for name, v := range positive {
		if v <= 0 {
			bad("%s must be positive", name)
		}
	}
	for name, q := range map[string]int{"office.jpeg_quality": c.Office.JPEGQuality, "image.jpeg_quality": c.Image.JPEGQuality} {
		if q < 1 || q > 100 {
			bad("%s %d: 1 to 100", name, q)
		}
	}
	if c.PDF.DPI < 1 || c.PDF.DPI > 600 {
		bad("pdf.dpi %d: 1 to 600", c.PDF.DPI)
	}
	for name, v := range map[string]string{"office.convert.soffice": c.Office.Convert.Soffice, "office.convert.bwrap": c.Office.Convert.Bwrap, "office.convert.prlimit": c.Office.Convert.Prlimit} {
		if v == "" {
			bad("%s is empty", name)
		}
	}
	oneOf := func(name, v string, allowed ...string) {
		for _, a := range allowed {
			if v == a {
				return
			}
		}
		bad("%s %q: one of %s", name, v, strings.Join(allowed, ", "))
	}
	oneOf("mail.charset", c.Mail.Charset, "UTF-8", "ISO-2022-JP")
	oneOf("mail.links", c.Mail.Links, "", "keep", "defang", "remove")
	oneOf("mail.inline_images", c.Mail.InlineImages, "drop", "attach")
	oneOf("pdf.links", c.PDF.Links, "remove", "keep")
	oneOf("pdf.text_layer", c.PDF.TextLayer, "auto", "extract", "ocr", "off")
	oneOf("text.links", c.Text.Links, "defang", "keep", "remove")
}
