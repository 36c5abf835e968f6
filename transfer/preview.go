package transfer

import (
	"archive/zip"
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"golang.org/x/image/draw"
)

// The approver's preview of a sanitized output: the first page of a PDF
// as a picture, the file list of a zip. Only mugai's own outputs are
// read, never an original: a flattened PDF is mugai's image-only PDF and
// a zip is one mugai rebuilt. The picture is drawn again from decoded
// pixels (PNG), so nothing of the file but pixels reaches the page.

// outputPreview is one sanitized file on the approval page.
type outputPreview struct {
	OutputFile
	Image   string     // URL of the first page's picture, for a PDF
	Entries []zipEntry // for a zip, at most maxPreviewEntries
	More    int        // entries not listed
}

type zipEntry struct {
	Name string
	Size int64
}

const (
	maxPreviewEntries = 50
	previewWidth      = 720     // pixels
	maxPreviewPixels  = 1 << 26 // of the page image before scaling
)

// previews describes an item's outputs for its approver.
func (s *Server) previews(it *Item) []outputPreview {
	var out []outputPreview
	for _, o := range it.Outputs {
		p := outputPreview{OutputFile: o}
		switch o.MediaType {
		case "application/pdf":
			p.Image = "/approvals/" + it.ID + "/preview/" + strconv.Itoa(o.Index)
		case "application/zip":
			p.Entries, p.More = s.zipEntries(filepath.Join(s.outputs, it.ID, strconv.Itoa(o.Index)))
		}
		out = append(out, p)
	}
	return out
}

// zipEntries lists a rebuilt zip's files.
func (s *Server) zipEntries(path string) ([]zipEntry, int) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		s.log.Warn("preview", "path", path, "err", err)
		return nil, 0
	}
	defer zr.Close()
	var out []zipEntry
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		if len(out) == maxPreviewEntries {
			return out, len(zr.File) - len(out)
		}
		out = append(out, zipEntry{Name: f.Name, Size: int64(f.UncompressedSize64)})
	}
	return out, 0
}

// preview serves the first page of a pending item's sanitized PDF as a
// PNG, to an approver who may decide on it.
func (s *Server) preview(w http.ResponseWriter, r *http.Request) {
	sess := session(r)
	it, err := s.item(r.Context(), r.PathValue("id"))
	n, nerr := strconv.Atoi(r.PathValue("n"))
	if err != nil || nerr != nil || !sess.User.Role.CanApprove() || it.Owner == sess.User.Name ||
		it.State != Done || it.Approval != ApprovalPending || n < 0 || n >= len(it.Outputs) || it.Outputs[n].MediaType != "application/pdf" {
		http.NotFound(w, r)
		return
	}
	img, err := firstPageImage(filepath.Join(s.outputs, it.ID, strconv.Itoa(it.Outputs[n].Index)))
	if err != nil {
		s.log.Warn("preview", "item_id", it.ID, "err", err)
		http.NotFound(w, r)
		return
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Security-Policy", fileCSP)
	w.Write(b.Bytes())
}

var errNoPageImage = errors.New("transfer: the first page has no single image")

// firstPageImage decodes the one image of page 1 of a flattened PDF and
// scales it to previewWidth.
func firstPageImage(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var imgs []model.Image
	var data [][]byte
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	err = api.ExtractImages(f, []string{"1"}, func(img model.Image, _ bool, _ int) error {
		b, err := io.ReadAll(io.LimitReader(img, 64<<20))
		imgs, data = append(imgs, img), append(data, b)
		return err
	}, conf)
	if err != nil {
		return nil, err
	}
	if len(imgs) != 1 {
		return nil, errNoPageImage
	}
	var dec func(io.Reader) (image.Image, error)
	var cfg func(io.Reader) (image.Config, error)
	switch imgs[0].FileType {
	case "jpg":
		dec, cfg = jpeg.Decode, jpeg.DecodeConfig
	case "png":
		dec, cfg = png.Decode, png.DecodeConfig
	default:
		return nil, errNoPageImage
	}
	c, err := cfg(bytes.NewReader(data[0]))
	if err != nil {
		return nil, err
	}
	if c.Width <= 0 || c.Height <= 0 || c.Width*c.Height > maxPreviewPixels {
		return nil, errNoPageImage
	}
	src, err := dec(bytes.NewReader(data[0]))
	if err != nil {
		return nil, err
	}
	wd, ht := c.Width, c.Height
	if wd > previewWidth {
		wd, ht = previewWidth, max(1, c.Height*previewWidth/c.Width)
	}
	dst := image.NewRGBA(image.Rect(0, 0, wd, ht))
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
	return dst, nil
}
