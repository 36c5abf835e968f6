package office

import (
	"bytes"
	"context"
	"testing"
)

// FuzzDisarm: any input either fails or yields a package that passes
// VerifyOOXML, within the output bound; never a panic.
func FuzzDisarm(f *testing.F) {
	f.Add(cleanDOCX(f))
	f.Add(cleanXLSX(f))
	f.Add(hostileDOCM(f))
	f.Add(hostileXLSM(f))
	f.Add(hostilePPTM(f))
	f.Add([]byte("PK\x05\x06" + string(make([]byte, 18))))
	lim := Limits{MaxTotalBytes: 8 << 20, MaxEntryBytes: 4 << 20, MaxEntries: 200}
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		_, err := Disarm(context.Background(), bytes.NewReader(in), int64(len(in)), &out, Options{Limits: lim})
		if err != nil {
			return
		}
		if out.Len() > 64<<20 {
			t.Fatalf("output of %d bytes from %d", out.Len(), len(in))
		}
		if err := VerifyOOXML(context.Background(), bytes.NewReader(out.Bytes()), int64(out.Len())); err != nil {
			t.Fatalf("output does not verify: %v", err)
		}
	})
}

// FuzzFilterXML: the XML rules on any part never panic and what they
// write parses again.
func FuzzFilterXML(f *testing.F) {
	f.Add([]byte(docXML(para("お世話になっております。"))), true)
	f.Add([]byte(`<w:document xmlns:w="`+nsW+`"><w:body><w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>DDEAUTO x</w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p></w:body></w:document>`), true)
	f.Add([]byte(`<worksheet xmlns="`+nsX+`"><sheetData><row><c><f>cmd|'x'!A0</f></c></row></sheetData></worksheet>`), false)
	f.Fuzz(func(t *testing.T, in []byte, word bool) {
		opts := Options{}.withDefaults()
		pc := &partCtx{name: "fuzz.xml", kept: map[string]bool{"rId1": true}, opts: opts, removed: map[string]int{}}
		if word {
			plan, err := planFields(bytes.NewReader(in), opts.Limits, opts)
			if err != nil {
				return
			}
			pc.plan = plan
		}
		var out bytes.Buffer
		if err := filterXML(&out, bytes.NewReader(in), pc); err != nil {
			return
		}
		if err := vXML(out.Bytes()); err != nil {
			t.Fatalf("filtered part fails the verifier: %v\n%s", err, out.Bytes())
		}
	})
}
