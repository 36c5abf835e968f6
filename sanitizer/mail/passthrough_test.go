package mail

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"testing"

	"github.com/mugai-project/mugai/sanitizer"
)

// pngWithChunk returns p with a chunk of type typ and data inserted
// before IEND (PNG spec §5.3: length, type, data, CRC over type and data).
func pngWithChunk(t testing.TB, p []byte, typ string, data []byte) []byte {
	t.Helper()
	iend := bytes.LastIndex(p, []byte("IEND")) - 4
	if iend < 8 {
		t.Fatal("no IEND chunk")
	}
	var c bytes.Buffer
	binary.Write(&c, binary.BigEndian, uint32(len(data)))
	c.WriteString(typ)
	c.Write(data)
	binary.Write(&c, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	return append(append(append([]byte{}, p[:iend]...), c.Bytes()...), p[iend:]...)
}

// TestAttachmentSmuggling sends attachments that carry a payload where a
// sanitizer that passes input bytes through would keep it: in an
// executable, in a PNG text chunk and after the PNG's end. Only what the
// engine rebuilt may cross: neither the payload nor any attachment's
// original bytes may appear in the delivered message, raw or decoded.
func TestAttachmentSmuggling(t *testing.T) {
	payload := []byte("MUGAI-SMUGGLED-PAYLOAD-7f3a9c")
	exe := append(append([]byte{}, fakeEXE...), payload...)
	img := append(pngWithChunk(t, tinyPNG(t), "tEXt", append([]byte("Comment\x00"), payload...)), payload...)
	raw := multipartMsg(stdHeader, "mixed", "b",
		"Content-Type: text/plain; charset=UTF-8\r\n\r\n添付をご確認ください。\r\n",
		"Content-Type: application/octet-stream; name=\"tool.exe\"\r\nContent-Disposition: attachment; filename=\"tool.exe\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"+b64lines(exe),
		"Content-Type: image/png; name=\"photo.png\"\r\nContent-Disposition: attachment; filename=\"photo.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"+b64lines(img),
	)
	e := newEngine(t, Options{}, sanitizer.Policy{})
	out := delivered(t, run(t, e, raw))
	p := parse(t, out)
	checkClean(t, p)
	if len(p.Attachments) != 1 || p.Attachments[0].Type != "image/png" {
		t.Fatalf("want the rebuilt photo.png only, got %+v", p.Attachments)
	}
	// The payload base64-encoded at each of the three alignments, with
	// line breaks removed from the message.
	flat := bytes.ReplaceAll(out, []byte("\r\n"), nil)
	for k := range 3 {
		enc := base64.StdEncoding.EncodeToString(append(bytes.Repeat([]byte{'x'}, k), payload...))
		if bytes.Contains(flat, []byte(enc[4:24])) {
			t.Errorf("the payload crossed base64-encoded (alignment %d)", k)
		}
	}
	if bytes.Contains(out, payload) || bytes.Contains([]byte(p.Body), payload) {
		t.Errorf("the payload crossed in the message or its body")
	}
	for _, a := range p.Attachments {
		if bytes.Contains(a.Data, payload) {
			t.Errorf("attachment %s carries the payload", a.Filename)
		}
		if bytes.Equal(a.Data, img) || bytes.Equal(a.Data, exe) {
			t.Errorf("attachment %s is the input's bytes", a.Filename)
		}
	}
}
