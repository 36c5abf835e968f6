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
		{"negative duration", "[deliver]\nretry_max = \"-1s\"\n", "deliver.retry_max: negative duration"},
		{"negative embedded duration", "[deliver]\ntimeout = \"-1s\"\n", "deliver.timeout: negative duration"},
		{"archive limit", "[archive]\nmax_entries = 0\n", "archive.max_entries must be positive"},
		{"office timeout", "[office.convert]\ntimeout = \"0s\"\n", "office.convert.timeout must be positive"},
		{"mail charset", "[mail]\ncharset = \"Shift_JIS\"\n", "mail.charset"},
		{"pdf dpi", "[pdf]\ndpi = 1200\n", "pdf.dpi"},
		{"text links", "[text]\nlinks = \"open\"\n", "text.links"},
		{"unknown format key", "[archive]\nmax_entry = 5\n", "unknown keys: archive.max_entry"},
		{"no domains", "[smtp]\ndomains = []\n", "domains is empty"},
		{"bad listen", "[smtp]\nlisten = \"2525\"\n", "smtp.listen"},
		{"download url", "[web]\ndownload_url = \"https://mugai.example.lg.jp:8081/\"\n", ""},
		{"relative download url", "[web]\ndownload_url = \"mugai:8081\"\n", "web.download_url"},
		{"password from follow-up", "[process]\npassword_from_follow_up = true\nfollow_up_window = \"30m\"\n", ""},
		{"follow-up window", "[process]\npassword_from_follow_up = true\nfollow_up_window = \"0s\"\n", "process.follow_up_window must be positive"},
		{"ldap mail attribute", "[auth.ldap]\nmail = \"userPrincipalName\"\n", ""},
		{"cluster database", "[cluster]\ndatabase = \"postgres://mugai:pw@db.example.lg.jp:5432/mugai?sslmode=verify-full\"\n", ""},
		{"cluster database not postgres", "[cluster]\ndatabase = \"mysql://db/mugai\"\n", "cluster.database"},
		{"cluster database without a name", "[cluster]\ndatabase = \"postgres://db.example.lg.jp\"\n", "cluster.database"},
		{"cluster nats", "[cluster]\ndatabase = \"postgres://db.example.lg.jp/mugai\"\nnats = \"nats://n1:4222,nats://n2:4222\"\nrole = \"worker\"\n", ""},
		{"cluster nats without database", "[cluster]\nnats = \"nats://n1:4222\"\n", "cluster.nats"},
		{"cluster nats not a URL", "[cluster]\ndatabase = \"postgres://db.example.lg.jp/mugai\"\nnats = \"n1:4222\"\n", "cluster.nats"},
		{"cluster worker without nats", "[cluster]\nrole = \"worker\"\n", "cluster.role"},
		{"cluster unknown role", "[cluster]\nrole = \"leader\"\n", "cluster.role"},
		{"cluster replicas", "[cluster]\nreplicas = 7\n", "cluster.replicas"},
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

// TestClusterDatabaseErrorHidesPassword: a refused database URL is not
// repeated in the error, which is logged and shown by `mugai config check`.
func TestClusterDatabaseErrorHidesPassword(t *testing.T) {
	_, err := Parse([]byte("[cluster]\ndatabase = \"postgres://mugai:s3cret@db.example.lg.jp\"\n"))
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("err %v: want a refusal without the password", err)
	}
}
