// Command probe is a test guest for package sandbox: it speaks package
// wire like the disarm guest, but its input starts with a line that says
// what to try, so the tests can show what the sandbox stops. Its output
// (on success) is a JSON report, not a PDF.
//
//	pdfcpu-read  parse the rest of the input with pdfcpu directly, without
//	             the pre-scan that package pdf puts before it
//	files        try to read host files and directories
//	spin         loop forever
//	alloc        allocate memory forever
//	exit3        exit with code 3
//	no-result    exit 0 without writing a Result
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"runtime/debug"
	"strings"

	pdfcpu "github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/mugai-project/mugai/sanitizer/pdf"
	"github.com/mugai-project/mugai/sanitizer/pdf/sandbox/wire"
)

// sink keeps allocations alive.
var sink [][]byte

func main() {
	debug.SetMaxStack(64 << 20)
	br := bufio.NewReader(os.Stdin)
	mode, _ := br.ReadString('\n')
	var report any
	var err error
	switch strings.TrimSpace(mode) {
	case "pdfcpu-read":
		var in []byte
		if in, err = io.ReadAll(br); err == nil {
			conf := &model.Configuration{Reader15: true, ValidationMode: model.ValidationRelaxed, Limits: model.DefaultResourceLimits()}
			_, err = pdfcpu.ReadWithContext(context.Background(), bytes.NewReader(in), conf)
		}
		report = "parsed"
	case "files":
		report = files()
	case "spin":
		for {
		}
	case "alloc":
		for {
			sink = append(sink, make([]byte, 1<<20))
		}
	case "exit3":
		os.Exit(3)
	case "no-result":
		return
	default:
		err = errors.New("probe: unknown mode " + mode)
	}
	if err != nil {
		b, _ := json.Marshal(wire.NewResult(nil, err))
		os.Stderr.Write(b)
		return
	}
	out, _ := json.Marshal(report)
	os.Stdout.Write(out)
	b, _ := json.Marshal(wire.NewResult(pdf.Removed{}, nil))
	os.Stderr.Write(b)
}

// filesReport is what the guest could see of its host.
type filesReport struct {
	Opened  []string // paths that opened
	Errors  []string // why the others did not
	Environ []string
	Args    int
}

func files() filesReport {
	var r filesReport
	for _, p := range []string{"/etc/passwd", "/", ".", "/tmp", "/proc/self/environ", "../../../../etc/passwd", "/root"} {
		f, err := os.Open(p)
		if err != nil {
			r.Errors = append(r.Errors, err.Error())
			continue
		}
		f.Close()
		r.Opened = append(r.Opened, p)
	}
	if err := os.WriteFile("/tmp/mugai-probe", []byte("x"), 0o600); err == nil {
		r.Opened = append(r.Opened, "write /tmp/mugai-probe")
	} else {
		r.Errors = append(r.Errors, err.Error())
	}
	r.Environ = os.Environ()
	r.Args = len(os.Args)
	return r
}
