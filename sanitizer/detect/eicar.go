package detect

import (
	"bytes"
	"io"
	"sync"
)

// eicarString is the 68-byte EICAR anti-malware test file
// (https://www.eicar.org/download-anti-malware-testfile/). It is put
// together from two pieces so that this source file does not itself trip
// scanners.
var eicarString = []byte(`X5O!P%@AP[4\PZX54(P^)7CC)7}$` + `EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`)

// eicarMaxLen is the longest file eicar.org still counts as the test
// file: the string, then white space only, 128 bytes at most.
const eicarMaxLen = 128

// IsEICAR reports whether b (a whole file, or its decoded text) is the
// EICAR test file as eicar.org defines it: the 68-byte string at the very
// start, optionally followed by space, TAB, CR, LF or CTRL-Z only, 128
// bytes in all at most. An operator's first test of a gateway is this
// file; mugai knows it without an antivirus scanner.
func IsEICAR(b []byte) bool {
	if len(b) > eicarMaxLen || !bytes.HasPrefix(b, eicarString) {
		return false
	}
	return len(bytes.TrimRight(b[len(eicarString):], " \t\r\n\x1a")) == 0
}

// HoldsEICAR reports whether the EICAR test string appears anywhere in
// what r yields: an output that a rewrite turned into it (a UTF-16 file
// rewritten as UTF-8, the string pasted into a mail body) must not cross
// either. It reads r to its end.
func HoldsEICAR(r io.Reader) (bool, error) {
	bp := eicarBuffers.Get().(*[]byte)
	defer eicarBuffers.Put(bp)
	buf := *bp
	keep := 0 // bytes carried over from the last read, for a string split across reads
	for {
		n, err := r.Read(buf[keep:])
		if bytes.Contains(buf[:keep+n], eicarString) {
			return true, nil
		}
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if end := keep + n; end >= len(eicarString) {
			keep = copy(buf, buf[end-len(eicarString)+1:end])
		} else {
			keep = end
		}
	}
}

// eicarBuffers are HoldsEICAR's read buffers, reused: it runs on every
// output of every mail.
var eicarBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}
