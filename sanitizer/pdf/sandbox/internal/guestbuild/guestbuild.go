// Package guestbuild builds the PDF disarm guest into a WebAssembly module
// the same way every time, and fingerprints the sources it is built from.
// The generator (../gen) and the tests of package sandbox use it, so that
// the committed module and the checks of it agree on what "the same" is.
package guestbuild

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// GuestPackage is the import path of the guest, relative to the module root.
const GuestPackage = "./sanitizer/pdf/sandbox/guest"

// Env is the build environment, on top of the caller's (for PATH, HOME and
// the Go caches). GOFLAGS is cleared so that no local setting changes the
// bytes; GOWASM is empty so that the module uses only WebAssembly 2.0
// features, which wazy (and wazero, whose fork it is) supports.
var Env = []string{
	"GOOS=wasip1",
	"GOARCH=wasm",
	"GOWASM=",
	"CGO_ENABLED=0",
	"GOFLAGS=-mod=readonly",
	"GOWORK=off",
}

// Flags are the go build flags: no file system paths, no VCS stamp, no
// build ID, no symbol table or DWARF (the Go runtime's own crash report,
// from its pclntab, still names functions).
var Flags = []string{"-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid="}

// Manifest is guest.json, written beside the module.
type Manifest struct {
	Go      string   `json:"go"` // go env GOVERSION of the build
	Package string   `json:"package"`
	Env     []string `json:"env"`
	Flags   []string `json:"flags"`
	// WasmSHA256 and WasmBytes describe the module before compression.
	WasmSHA256 string `json:"wasm_sha256"`
	WasmBytes  int    `json:"wasm_bytes"`
	// SourcesSHA256 fingerprints Sources (see SourceHash).
	SourcesSHA256 string   `json:"sources_sha256"`
	Sources       []string `json:"sources"`
}

// ModuleRoot returns the directory of mugai's go.mod, as seen from dir.
func ModuleRoot(ctx context.Context, dir string) (string, error) {
	out, err := goCmd(ctx, dir, nil, "env", "GOMOD")
	if err != nil {
		return "", err
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("guestbuild: %s is not inside a Go module", dir)
	}
	return filepath.Dir(gomod), nil
}

// GoVersion returns the version of the go command that builds.
func GoVersion(ctx context.Context, root string) (string, error) {
	out, err := goCmd(ctx, root, nil, "env", "GOVERSION")
	return strings.TrimSpace(string(out)), err
}

// Build builds the package pkg (a path relative to root, such as
// GuestPackage) with Env and Flags and returns the module.
func Build(ctx context.Context, root, pkg string) ([]byte, error) {
	dir, err := os.MkdirTemp("", "mugai-guestbuild-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "guest.wasm")
	args := append(append([]string{"build"}, Flags...), "-o", out, pkg)
	if _, err := goCmd(ctx, root, Env, args...); err != nil {
		return nil, err
	}
	return os.ReadFile(out)
}

// Sources lists what the module of pkg is built from, one line each,
// sorted: every Go and embedded file of the packages of mugai that it
// links, as "sha256 path" (path relative to root), and every other module
// it links code from, as "module path@version" (go.sum holds the hash of
// each version).
func Sources(ctx context.Context, root, pkg string) ([]string, error) {
	out, err := goCmd(ctx, root, Env, "list", "-deps", "-json=Dir,GoFiles,EmbedFiles,Module,Standard", pkg)
	if err != nil {
		return nil, err
	}
	type listed struct {
		Dir        string
		GoFiles    []string
		EmbedFiles []string
		Standard   bool
		Module     *struct {
			Path    string
			Version string
			Main    bool
		}
	}
	seen := map[string]bool{}
	var lines []string
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p listed
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("guestbuild: go list: %w", err)
		}
		switch {
		case p.Standard:
			// The toolchain: Manifest.Go.
		case p.Module == nil:
			return nil, fmt.Errorf("guestbuild: package in %s has no module", p.Dir)
		case !p.Module.Main:
			if l := "module " + p.Module.Path + "@" + p.Module.Version; !seen[l] {
				seen[l] = true
				lines = append(lines, l)
			}
		default:
			for _, f := range append(p.GoFiles, p.EmbedFiles...) {
				l, err := fileLine(root, filepath.Join(p.Dir, f))
				if err != nil {
					return nil, err
				}
				lines = append(lines, l)
			}
		}
	}
	sort.Strings(lines)
	return lines, nil
}

// SourceHash is the SHA-256 of Sources, one per line.
func SourceHash(sources []string) string {
	h := sha256.New()
	for _, l := range sources {
		fmt.Fprintln(h, l)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// SHA256 is the hex SHA-256 of b.
func SHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func fileLine(root, path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return "", err
	}
	return SHA256(b) + " " + filepath.ToSlash(rel), nil
}

// goCmd runs the go command in dir with env added to the caller's.
func goCmd(ctx context.Context, dir string, env []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("guestbuild: go %s: %w: %s", strings.Join(args, " "), err, firstLines(stderr.String(), 20))
	}
	return out, nil
}

func firstLines(s string, n int) string {
	var b strings.Builder
	sc := bufio.NewScanner(strings.NewReader(s))
	for i := 0; i < n && sc.Scan(); i++ {
		b.WriteString(sc.Text())
		b.WriteByte('\n')
	}
	return b.String()
}
