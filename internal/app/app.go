// Package app assembles mugai's parts into the services the binary runs:
// the sanitizer engine with every format handler, and (later) the relay
// and the transfer sites.
package app

import (
	"github.com/mugai-project/mugai/sanitizer"
)

// NewEngine builds the sanitizer engine with the handlers and verifiers of
// every format package. opts.Handlers and opts.Verifiers, if set, take
// precedence.
func NewEngine(opts sanitizer.Options) (*sanitizer.Engine, error) {
	return sanitizer.New(opts)
}
