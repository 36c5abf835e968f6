package sandbox

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/mugai-project/mugai/sanitizer/pdf/sandbox/internal/guestbuild"
)

func manifest(t *testing.T) guestbuild.Manifest {
	t.Helper()
	b, err := os.ReadFile("guest.json")
	if err != nil {
		t.Fatal(err)
	}
	var m guestbuild.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestGuestIsCurrent fails when the embedded module is stale: when the
// sources it is built from (the guest, package pdf, package wire, the
// versions of the modules they link) differ from those recorded in
// guest.json at its build. Run go generate in this folder, and commit
// guest.wasm.gz and guest.json.
func TestGuestIsCurrent(t *testing.T) {
	m := manifest(t)
	if got := guestbuild.SHA256(mustGuest(t)); got != m.WasmSHA256 {
		t.Fatalf("guest.wasm.gz holds a module of SHA-256 %s, guest.json says %s", got, m.WasmSHA256)
	}
	root, err := guestbuild.ModuleRoot(t.Context(), ".")
	if err != nil {
		t.Fatal(err)
	}
	sources, err := guestbuild.Sources(t.Context(), root, guestbuild.GuestPackage)
	if err != nil {
		t.Fatal(err)
	}
	if got := guestbuild.SourceHash(sources); got != m.SourcesSHA256 {
		t.Errorf("the embedded guest is stale: its sources changed since it was built (run go generate in sanitizer/pdf/sandbox)\nrecorded: %q\nnow:      %q", m.Sources, sources)
	}
}

// TestGuestRebuildsIdentically rebuilds the guest and compares it with
// the embedded module byte for byte. The build takes minutes on a cold
// Go build cache, so it runs only with MUGAI_CHECK_WASM=1, and only with
// the Go version that built the embedded module (another Go version
// builds another runtime into it).
func TestGuestRebuildsIdentically(t *testing.T) {
	if os.Getenv("MUGAI_CHECK_WASM") != "1" {
		t.Skip("set MUGAI_CHECK_WASM=1 to rebuild the guest (minutes on a cold build cache)")
	}
	m := manifest(t)
	root, err := guestbuild.ModuleRoot(t.Context(), ".")
	if err != nil {
		t.Fatal(err)
	}
	v, err := guestbuild.GoVersion(t.Context(), root)
	if err != nil {
		t.Fatal(err)
	}
	if v != m.Go {
		t.Skipf("the embedded guest was built with %s, this is %s", m.Go, v)
	}
	wasm, err := guestbuild.Build(t.Context(), root, m.Package)
	if err != nil {
		t.Fatal(err)
	}
	if got := guestbuild.SHA256(wasm); got != m.WasmSHA256 {
		t.Errorf("rebuilt guest has SHA-256 %s (%d bytes), the embedded one %s (%d bytes)", got, len(wasm), m.WasmSHA256, m.WasmBytes)
	}
}
