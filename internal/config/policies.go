package config

import (
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/detect"
)

// Policies choose a sanitizer policy other than process.policy for some
// recipients: by the domain of a mail recipient (the relay) and by the
// department (所属) of a transfer recipient (the sites). An item for
// several recipients with different policies gets the strictest of
// them, kind by kind.
type Policies struct {
	Department []PolicyEntry `toml:"department"`
	Domain     []PolicyEntry `toml:"domain"`
}

// PolicyEntry is one department's or domain's policy: a policy file, or
// the process policy, with actions over it.
type PolicyEntry struct {
	Name    string                           `toml:"name"` // 財政課, or zaisei.city.example.lg.jp
	File    string                           `toml:"file"` // policy file (TOML); "" = process.policy
	Actions map[detect.Kind]sanitizer.Action `toml:"actions"`
}

// checkPolicies reports entries without a name and names given twice;
// app.Check loads the files and checks the actions.
func (c *Config) checkPolicies(bad func(format string, a ...any)) {
	for kind, entries := range map[string][]PolicyEntry{"department": c.Policy.Department, "domain": c.Policy.Domain} {
		seen := map[string]bool{}
		for _, e := range entries {
			switch {
			case e.Name == "":
				bad("policy.%s: an entry without a name", kind)
			case seen[e.Name]:
				bad("policy.%s: %q is given twice", kind, e.Name)
			}
			seen[e.Name] = true
		}
	}
}
