// Command gen rebuilds the PDF disarm guest (package sandbox's guest.wasm.gz
// and guest.json) from the current sources. Run it with go generate in
// sanitizer/pdf/sandbox after changing the guest, package pdf, package
// wire or a dependency they link.
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mugai-project/mugai/sanitizer/pdf/sandbox/internal/guestbuild"
)

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	root, err := guestbuild.ModuleRoot(ctx, wd)
	if err != nil {
		return err
	}
	goVersion, err := guestbuild.GoVersion(ctx, root)
	if err != nil {
		return err
	}
	sources, err := guestbuild.Sources(ctx, root, guestbuild.GuestPackage)
	if err != nil {
		return err
	}
	wasm, err := guestbuild.Build(ctx, root, guestbuild.GuestPackage)
	if err != nil {
		return err
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(wasm); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	m, err := json.MarshalIndent(guestbuild.Manifest{
		Go:            goVersion,
		Package:       guestbuild.GuestPackage,
		Env:           guestbuild.Env,
		Flags:         guestbuild.Flags,
		WasmSHA256:    guestbuild.SHA256(wasm),
		WasmBytes:     len(wasm),
		SourcesSHA256: guestbuild.SourceHash(sources),
		Sources:       sources,
	}, "", "\t")
	if err != nil {
		return err
	}
	dir := filepath.Join(root, "sanitizer", "pdf", "sandbox")
	if err := os.WriteFile(filepath.Join(dir, "guest.wasm.gz"), gz.Bytes(), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "guest.json"), append(m, '\n'), 0o644)
}
