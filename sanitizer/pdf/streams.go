package pdf

import (
	"bytes"
	"compress/zlib"
	"fmt"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// reencode decodes a stream and encodes it again with FlateDecode, so
// that no encoded bytes of the input are copied; image codecs are kept.
// External stream data (§7.3.8.2, /F) is removed.
func (d *disarmer) reencode(objNr int, sd types.StreamDict) error {
	for _, k := range []string{"F", "FFilter", "FDecodeParms"} {
		if _, ok := sd.Dict[k]; ok {
			d.removed.add("external-stream", boolInt(k == "F"))
			delete(sd.Dict, k)
		}
	}
	delete(sd.Dict, "DL")
	for i, f := range sd.FilterPipeline {
		if imageFilters[f.Name] {
			if n, ok := d.spelledName(sd.Raw, true); ok {
				return fmt.Errorf("pdf: object %d: image data spells /%s", objNr, n)
			}
			if i != len(sd.FilterPipeline)-1 {
				return fmt.Errorf("pdf: object %d: image filter %s is not last", objNr, f.Name)
			}
			// Keep image codecs as they are (re-encoding a JPEG is the
			// flatten action's job); other filters before them are rare.
			if len(sd.FilterPipeline) != 1 {
				return fmt.Errorf("pdf: object %d: filter chain ending in %s", objNr, f.Name)
			}
			return nil
		}
		if !decodableFilters[f.Name] {
			return fmt.Errorf("pdf: object %d: unsupported filter %q", objNr, f.Name)
		}
	}
	if sd.FilterPipeline == nil {
		sd.Content = sd.Raw
	} else if sd.Content == nil {
		if err := guard(func() error { return sd.DecodeWithLimit(d.opts.Limits.MaxStreamBytes) }); err != nil {
			return fmt.Errorf("pdf: object %d: decode stream: %w", objNr, err)
		}
	}
	if int64(len(sd.Content)) > d.opts.Limits.MaxStreamBytes {
		return fmt.Errorf("%w: object %d stream", ErrLimit, objNr)
	}
	// Content streams cannot be rewritten name by name: refuse the file.
	if n, ok := d.spelledName(sd.Content, binaryStream(sd.Dict)); ok {
		return fmt.Errorf("pdf: object %d: stream spells /%s", objNr, n)
	}
	raw, err := d.deflate(sd.Content)
	if err != nil {
		return fmt.Errorf("pdf: object %d: encode stream: %w", objNr, err)
	}
	sd.FilterPipeline = []types.PDFFilter{{Name: "FlateDecode"}}
	sd.Dict["Filter"] = types.Name("FlateDecode")
	delete(sd.Dict, "DecodeParms")
	sd.Raw, sd.Content = raw, nil
	l := int64(len(raw))
	sd.StreamLength = &l
	sd.Dict["Length"] = types.Integer(l)
	e, ok := d.x.Find(objNr)
	if !ok {
		return fmt.Errorf("pdf: object %d vanished", objNr)
	}
	e.Object = sd
	return nil
}

// deflate compresses b with one zlib writer reused for the whole
// document (§7.4.4; a new compress/flate writer allocates about 1 MiB).
func (d *disarmer) deflate(b []byte) ([]byte, error) {
	var out bytes.Buffer
	if d.zw == nil {
		d.zw = zlib.NewWriter(&out)
	} else {
		d.zw.Reset(&out)
	}
	if _, err := d.zw.Write(b); err != nil {
		return nil, err
	}
	if err := d.zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
