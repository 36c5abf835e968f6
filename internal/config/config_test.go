package config

import (
	"reflect"
	"strings"
	"testing"
)

// TestExampleIsDefault keeps the annotated example and the defaults in
// step: parsing the example gives exactly Default().
func TestExampleIsDefault(t *testing.T) {
	c, err := Parse([]byte(Example()))
	if err != nil {
		t.Fatal(err)
	}
	if want := Default(); !reflect.DeepEqual(c, want) {
		t.Fatalf("example differs from defaults:\n got %+v\nwant %+v", c, want)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, in, err string
	}{
		{"empty", "", ""},
		{"domains", "[smtp]\ndomains = [\"city.lg.jp\"]\n", ""},
		{"unknown key", "[smtp]\ndomian = [\"x\"]\n", "unknown keys: smtp.domian"},
		{"bad duration", "[deliver]\nretry_max = \"soon\"\n", "retry_max"},
		{"auth in clear", "[deliver]\nrelay = \"lg:25\"\nusername = \"u\"\n", "starttls"},
		{"bad net", "[smtp]\nallow_nets = [\"10.0.0/8\"]\n", "allow_nets"},
		{"no domains", "[smtp]\ndomains = []\n", "domains is empty"},
		{"bad listen", "[smtp]\nlisten = \"2525\"\n", "smtp.listen"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in))
			if tc.err == "" && err != nil {
				t.Fatal(err)
			}
			if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("err %v, want %q", err, tc.err)
			}
		})
	}
}

func TestRelayOptions(t *testing.T) {
	c := Default()
	o := c.Relay()
	if o.Listen != ":2525" || o.DataDir != "./data" || o.RetryInitial.Minutes() != 1 || o.QueueLifetime.Hours() != 120 || o.Downstream.Addr != "" {
		t.Fatalf("%+v", o)
	}
}
