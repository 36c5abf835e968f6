package transfer

import (
	"archive/zip"
	"bytes"
	"context"
	"image"
	"image/png"
	"io"
	"net/http"
	"strconv"
)

// The approver's preview of a sanitized output: the first page of a PDF
// as a picture, the file list of a zip. Only mugai's own outputs are
// read, never an original: a flattened or disarmed PDF mugai wrote, a
// zip mugai rebuilt. The page is drawn by the PDF renderer in its
// sandbox (Previewer), whatever it is made of (one image, a black and
// white mask over colour regions, a disarmed document's own text), and
// sent as a PNG of those pixels, so nothing of the file but pixels
// reaches the page.

// Previewer draws the first page of a PDF, width pixels across
// (render.Flattener.Preview).
type Previewer interface {
	Preview(ctx context.Context, r io.ReadSeeker, size int64, width int) (*image.RGBA, error)
}

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
	previewWidth      = 720 // pixels
)

// previews describes an item's outputs for its approver.
func (s *Server) previews(ctx context.Context, it *Item) []outputPreview {
	var out []outputPreview
	for _, o := range it.Outputs {
		p := outputPreview{OutputFile: o}
		switch o.MediaType {
		case "application/pdf":
			if s.opts.Previewer == nil {
				break
			}
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
	if err != nil || nerr != nil || s.opts.Previewer == nil || !sess.User.Role.CanApprove() || it.Owner == sess.User.Name ||
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
	img, err := s.opts.Previewer.Preview(r.Context(), blob, blob.Size(), previewWidth)
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
