package transfer

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
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
func (s *Server) previews(ctx context.Context, it *Item) []outputPreview {
	var out []outputPreview
	for _, o := range it.Outputs {
		p := outputPreview{OutputFile: o}
		switch o.MediaType {
		case "application/pdf":
			p.Image = "/approvals/" + it.ID + "/preview/" + strconv.Itoa(o.Index)
		case "application/zip":
			p.Entries, p.More = s.zipEntries(ctx, it.ID, o.Index)
		}
		out = append(out, p)
	}
	return out
}

// zipEntries lists the files of a rebuilt zip, output index of item.
func (s *Server) zipEntries(ctx context.Context, item string, index int) ([]zipEntry, int) {
	blob, err := s.outputs.Open(ctx, item, index)
	if err != nil {
		s.log.Warn("preview", "item_id", item, "err", err)
		return nil, 0
	}
	defer blob.Close()
	zr, err := zip.NewReader(blob, blob.Size())
	if err != nil {
		s.log.Warn("preview", "item_id", item, "err", err)
		return nil, 0
	}
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
	blob, err := s.outputs.Open(r.Context(), it.ID, it.Outputs[n].Index)
	if err != nil {
		s.log.Warn("preview", "item_id", it.ID, "err", err)
		http.NotFound(w, r)
		return
	}
	defer blob.Close()
	img, err := firstPageImage(blob)
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
func firstPageImage(f io.ReadSeeker) (image.Image, error) {
	var imgs []model.Image
	var data [][]byte
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	err := api.ExtractImages(f, []string{"1"}, func(img model.Image, _ bool, _ int) error {
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
