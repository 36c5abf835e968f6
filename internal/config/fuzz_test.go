package config

import "testing"

// FuzzParse: any file is parsed or refused with an error, never a panic,
// and what parses passes Check.
func FuzzParse(f *testing.F) {
	f.Add([]byte(Example()))
	f.Add([]byte("[smtp]\ndomains = [\"city.lg.jp\"]\n"))
	f.Add([]byte("data_dir = 1\n"))
	f.Add([]byte("[deliver]\nretry_max = \"-1s\"\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b)
		if err != nil {
			return
		}
		if err := c.Check(); err != nil {
			t.Fatalf("parsed but fails Check: %v", err)
		}
	})
}
