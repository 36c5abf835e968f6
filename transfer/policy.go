package transfer

import (
	"context"
	"errors"

	"github.com/mugai-project/mugai/internal/auth"
	"github.com/mugai-project/mugai/sanitizer"
)

// itemPolicy is the sanitizer policy for it: Options.PolicyFor of the
// departments of everyone who may download it (its owner and its
// recipients); nil is the engine's own policy. A user no longer in the
// accounts counts with no department.
func (s *Server) itemPolicy(ctx context.Context, it *Item) (*sanitizer.Policy, error) {
	if s.opts.PolicyFor == nil {
		return nil, nil
	}
	var deps []string
	for _, n := range append([]string{it.Owner}, it.Recipients...) {
		u, err := s.users.User(ctx, n)
		if err != nil && !errors.Is(err, auth.ErrNoUser) {
			return nil, err
		}
		deps = append(deps, u.Department)
	}
	return s.opts.PolicyFor(deps), nil
}
