package sandbox

import _ "embed"

// The guest, built by internal/gen from ./guest (see there for the exact
// command) and gzip-compressed; guest.json beside it records the Go
// version, the build flags, the SHA-256 of the module and of the sources
// it was built from. TestGuestIsCurrent fails when those sources change
// without a new build.
//
//go:generate go run ./internal/gen
//go:embed guest.wasm.gz
var guestWasmGz []byte
