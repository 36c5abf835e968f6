package app

import (
	"fmt"
	"maps"
	"strings"

	"github.com/mugai-project/mugai/internal/config"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/detect"
)

// policies choose the sanitizer policy of an item by its recipients
// ([[policy.department]], [[policy.domain]]): each recipient gets its
// department's or domain's policy, or the process policy, and an item
// for recipients whose policies differ gets sanitizer.Strictest of them.
// One item stays one item: a mail for 財政課 and 住民課 together is
// sanitized once, as strictly as 住民課 asks, rather than split into
// copies that would differ by recipient (the sender's one message, one
// original, one notice).
type policies struct {
	base                   sanitizer.Policy
	departments, byDomains map[string]*sanitizer.Policy
}

// newPolicies loads each entry: its file (or the process policy) with its
// actions over it, defaults filled in as the engine fills its own.
func newPolicies(c *config.Config) (*policies, error) {
	base, err := policy(c)
	if err != nil {
		return nil, err
	}
	ps := &policies{base: base.WithDefaults(), departments: map[string]*sanitizer.Policy{}, byDomains: map[string]*sanitizer.Policy{}}
	for _, set := range []struct {
		key     string
		entries []config.PolicyEntry
		into    map[string]*sanitizer.Policy
		fold    func(string) string
	}{
		{"policy.department", c.Policy.Department, ps.departments, func(s string) string { return s }},
		{"policy.domain", c.Policy.Domain, ps.byDomains, strings.ToLower},
	} {
		for _, e := range set.entries {
			key := fmt.Sprintf("%s %q", set.key, e.Name)
			p := base
			if e.File != "" {
				if p, err = policyFile(c, e.File, key+" file"); err != nil {
					return nil, err
				}
			}
			p.Actions = maps.Clone(p.Actions)
			if p.Actions == nil {
				p.Actions = map[detect.Kind]sanitizer.Action{}
			}
			maps.Copy(p.Actions, e.Actions)
			if err := p.Check(); err != nil {
				return nil, fmt.Errorf("config: %s: %w", key, err)
			}
			p = p.WithDefaults()
			set.into[set.fold(e.Name)] = &p
		}
	}
	return ps, nil
}

// pick is the policy for recipients whose names under by are keys;
// nil when every one of them gets the process policy.
func (ps *policies) pick(keys []string, by map[string]*sanitizer.Policy) *sanitizer.Policy {
	var chosen []*sanitizer.Policy
	special := false
	for _, k := range keys {
		p, ok := by[k]
		if !ok {
			p = &ps.base
		}
		special = special || ok
		chosen = append(chosen, p)
	}
	if !special {
		return nil
	}
	return sanitizer.Strictest(chosen...)
}

// forRecipients is the relay's choice, by the domain of each address.
func (ps *policies) forRecipients(rcpts []string) *sanitizer.Policy {
	domains := make([]string, len(rcpts))
	for i, r := range rcpts {
		if at := strings.LastIndexByte(r, '@'); at >= 0 {
			domains[i] = strings.ToLower(r[at+1:])
		}
	}
	return ps.pick(domains, ps.byDomains)
}

// forDepartments is the sites' choice, by department.
func (ps *policies) forDepartments(deps []string) *sanitizer.Policy {
	return ps.pick(deps, ps.departments)
}
