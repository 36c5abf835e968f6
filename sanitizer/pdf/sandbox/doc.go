// Package sandbox runs mugai's PDF disarm and inspection (package pdf, on
// pdfcpu) inside a WebAssembly sandbox, so that no hostile PDF is parsed in
// mugai's own process: Disarm for the disarm action, Inventory (pdf.Inspect)
// for the report of a PDF that PDFium flattens.
//
// The guest (./guest) is pdf.Disarm and pdf.Inspect built with
// GOOS=wasip1 GOARCH=wasm into a WASI preview 1 command, committed
// gzip-compressed beside this file and embedded; go generate rebuilds it (see embed.go). A Sandbox compiles it
// once with wazy, a fork of wazero (from an on-disk cache after the first
// time), and runs a fresh instance of it for every file, with:
//   - no filesystem at all: no directory is mounted, not even read-only;
//   - no environment but GOMEMLIMIT, no arguments but the request, no
//     network (wazy gives WASI preview 1 no sockets unless asked to);
//   - a cap on the instance's linear memory (Options.MemoryLimitBytes);
//   - the caller's deadline: when ctx is done the instance is stopped where
//     it stands, and closed once it has returned.
//
// A crash inside the guest (a Go fatal error such as a stack overflow, out
// of memory, a trap) ends that instance only and comes back as an error
// matching ErrCrashed (and pdf.ErrLimit when it ran out of memory).
// A guest that cannot be started (it does not compile, the cache folder
// cannot be made) fails every call, until it can, with an error matching
// pdf.ErrSandboxUnavailable: a fault of the server, which the PDF handler
// withholds as sanitizer.ReasonSandbox, not as a malformed file.
//
// The price is CPU time: Go compiled to WebAssembly runs the disarm about 4
// to 6 times slower than in process, plus about 7 ms to start an instance
// (see bench_test.go and sandbox.go).
//
// Divergences from calling pdf.Disarm in process: the output is held in
// host memory until the guest has exited with a verdict, then copied to w;
// the input is read once, from its start, into the guest.
package sandbox
