package transfer

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestDownloadSiteServesOnlyRebuiltFiles uploads one hostile file of
// each kind the sanitizer rebuilds and downloads every output on the
// LGWAN side: each must be the output mugai recorded (its SHA-256) and
// never the uploaded bytes passed through.
func TestDownloadSiteServesOnlyRebuiltFiles(t *testing.T) {
	t.Parallel()
	ts := startSite(t, Options{PlainHTTP: true})
	alice := ts.newClient(ts.up).login("alice")
	down := ts.newClient(ts.down).login("alice")
	for _, fixture := range []string{
		"pdf/openaction-js.pdf",
		"image/png-metadata.png",
		"image/jpeg-exif-gps.jpg",
		"image/gif-script-tail.gif",
		"office/docm-autoopen.docm",
		"office/xlsm-macro-only.xlsm",
		"office/pptx-click-actions.pptx",
		"text/shift_jis.txt",
		"text/csv-formula.csv",
		"html/html-active.html",
		"archive/zip-js-pdf.zip",
	} {
		t.Run(fixture, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("..", "fixtures", "corpus", filepath.FromSlash(fixture)))
			if err != nil {
				t.Fatal(err)
			}
			it := ts.uploadOne(alice, "", filepath.Base(fixture), in)
			if it.State != Done || len(it.Outputs) == 0 {
				t.Fatalf("state %s with %d outputs, want done with outputs (error %q)", it.State, len(it.Outputs), it.Error)
			}
			for n, o := range it.Outputs {
				resp, b := down.get("/files/" + it.ID + "/" + strconv.Itoa(n))
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("output %d: status %d", n, resp.StatusCode)
				}
				sum := sha256.Sum256([]byte(b))
				if got := hex.EncodeToString(sum[:]); got != o.SHA256 {
					t.Errorf("output %d (%s): served SHA-256 %s, recorded %s", n, o.Name, got, o.SHA256)
				}
				if bytes.Equal([]byte(b), in) || o.SHA256 == it.SHA256 {
					t.Errorf("output %d (%s): the uploaded bytes were served unchanged", n, o.Name)
				}
			}
		})
	}
}
