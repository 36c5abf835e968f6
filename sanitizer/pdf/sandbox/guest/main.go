// Command guest is mugai's PDF disarm and inspection as a WASI preview 1
// command, built with GOOS=wasip1 GOARCH=wasm into the module that package
// sandbox embeds and runs under wazy (a wazero fork). It speaks package wire: the PDF on
// stdin, a wire.Request as JSON in its first argument, the disarmed PDF
// (when asked to disarm) on stdout and a wire.Result as JSON on stderr.
//
// It runs pdf.Disarm or pdf.Inspect unchanged, with everything that guards
// them in process (limits, the pre-scan). The sandbox adds what a process cannot give
// itself: a crash, a runaway allocation or a loop inside pdfcpu ends this
// module, not mugai.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/mugai-project/mugai/sanitizer/pdf"
	"github.com/mugai-project/mugai/sanitizer/pdf/sandbox/wire"
)

// maxStack bounds a goroutine's stack, far below the Go default of 1 GB,
// so that runaway recursion ends in a stack overflow before it has used
// the module's memory.
const maxStack = 64 << 20

func main() {
	debug.SetMaxStack(maxStack)
	res := run()
	// QUIRK: the host reads one JSON value from stderr; an encoding error
	// (none is possible for these types) leaves it empty, which the host
	// treats as a crash.
	b, _ := json.Marshal(res)
	os.Stderr.Write(b)
}

func run() wire.Result {
	if len(os.Args) != 2 {
		return wire.NewResult(nil, errors.New("pdf sandbox guest: want one argument, the request"))
	}
	var req wire.Request
	if err := json.Unmarshal([]byte(os.Args[1]), &req); err != nil {
		return wire.NewResult(nil, err)
	}
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		return wire.NewResult(nil, err)
	}
	switch req.Op {
	case wire.OpDisarm:
		return disarm(in, req.Options)
	case wire.OpInspect:
		return wire.NewInfoResult(pdf.Inspect(context.Background(), bytes.NewReader(in), req.Limits))
	}
	return wire.NewResult(nil, fmt.Errorf("pdf sandbox guest: unknown operation %q", req.Op))
}

func disarm(in []byte, opts pdf.DisarmOptions) wire.Result {
	var out bytes.Buffer
	removed, err := pdf.Disarm(context.Background(), bytes.NewReader(in), &out, opts)
	if err != nil {
		return wire.NewResult(nil, err)
	}
	if _, err := out.WriteTo(os.Stdout); err != nil {
		return wire.NewResult(nil, err)
	}
	return wire.NewResult(removed, nil)
}
