// Package config reads mugai's one configuration file (TOML). Every
// option has a safe default, so `mugai serve` runs with no file at all;
// Example is the annotated file with each option beside its default,
// and a test keeps the two in step. Unknown keys are an error, so a
// typo never silently falls back to a default.
package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/mugai-project/mugai/sanitizer"
)

// Config is the whole file.
type Config struct {
	DataDir    string     `toml:"data_dir"`
	Log        Log        `toml:"log"`
	SMTP       SMTP       `toml:"smtp"`
	Process    Process    `toml:"process"`
	Deliver    Deliver    `toml:"deliver"`
	ReturnPath Remote     `toml:"return_path"`
	Admin      Admin      `toml:"admin"`
	Quarantine Quarantine `toml:"quarantine"`
	Web        Web        `toml:"web"`
	Scanner    Scanner    `toml:"scanner"`
	Auth       Auth       `toml:"auth"`
	Policy     Policies   `toml:"policy"`
	Cluster    Cluster    `toml:"cluster"`

	// The formats, each the options of its sanitizer package.
	Archive Archive `toml:"archive"`
	Office  Office  `toml:"office"`
	Mail    Mail    `toml:"mail"`
	PDF     PDF     `toml:"pdf"`
	Image   Image   `toml:"image"`
	Text    Text    `toml:"text"`
}

// Log configures logging.
type Log struct {
	Level  string `toml:"level"`  // debug, info, warn, error
	Format string `toml:"format"` // json or text
}

// SMTP is the Internet-side listener.
type SMTP struct {
	Listen              string             `toml:"listen"`
	Hostname            string             `toml:"hostname"`
	Domains             []string           `toml:"domains"`
	AllowNets           []string           `toml:"allow_nets"`
	MaxMessageBytes     int64              `toml:"max_message_bytes"`
	MaxRecipients       int                `toml:"max_recipients"`
	MaxLineLength       int                `toml:"max_line_length"`
	CommandTimeout      sanitizer.Duration `toml:"command_timeout"`
	DataTimeout         sanitizer.Duration `toml:"data_timeout"`
	WriteTimeout        sanitizer.Duration `toml:"write_timeout"`
	MaxConnections      int                `toml:"max_connections"`
	MaxConnectionsPerIP int                `toml:"max_connections_per_ip"`
	TLSCert             string             `toml:"tls_cert"`
	TLSKey              string             `toml:"tls_key"`
	DrainTimeout        sanitizer.Duration `toml:"drain_timeout"`
	MinFree             int64              `toml:"min_free"`
	JunkCommandLimit    int                `toml:"junk_command_limit"`
}

// Process is the sanitizing step.
type Process struct {
	Workers int                `toml:"workers"`
	Timeout sanitizer.Duration `toml:"timeout"`
	// Retention is how long the originals of mails are kept,
	// TransferRetention those of uploads; the sweep purges them every
	// SweepInterval after that.
	Retention         sanitizer.Duration `toml:"retention"`
	TransferRetention sanitizer.Duration `toml:"transfer_retention"`
	SweepInterval     sanitizer.Duration `toml:"sweep_interval"`
	Policy            string             `toml:"policy"`
	// PasswordFromFollowUp offers the recipient of a held PPAP mail the
	// password line of a later mail from the same sender to them within
	// FollowUpWindow, as a one-click suggestion on the held item's page
	// (kept in memory only). Off by default.
	PasswordFromFollowUp bool               `toml:"password_from_follow_up"`
	FollowUpWindow       sanitizer.Duration `toml:"follow_up_window"`
}

// Remote is an outgoing SMTP peer.
type Remote struct {
	Relay              string             `toml:"relay"`
	StartTLS           bool               `toml:"starttls"`
	InsecureSkipVerify bool               `toml:"insecure_skip_verify"`
	Username           string             `toml:"username"`
	Password           string             `toml:"password"`
	Timeout            sanitizer.Duration `toml:"timeout"`
}

// Deliver is the LGWAN side.
type Deliver struct {
	Remote
	Workers      int                `toml:"workers"`
	RetryInitial sanitizer.Duration `toml:"retry_initial"`
	RetryMax     sanitizer.Duration `toml:"retry_max"`
	Lifetime     sanitizer.Duration `toml:"lifetime"`
	ScanInterval sanitizer.Duration `toml:"scan_interval"`
}

// Admin is the operations listener.
type Admin struct {
	Listen string `toml:"listen"`
}

// Quarantine guards releasing originals.
type Quarantine struct {
	AllowRelease bool `toml:"allow_release"`
	// NeverRelease are reason codes (sanitizer.Reason*) whose originals
	// the download site never releases on request, beside executables
	// and malware, which are never released.
	NeverRelease []string `toml:"never_release"`
}

// Web configures the transfer sites: the upload site in the Internet
// zone and the download site in the LGWAN zone.
type Web struct {
	UploadListen   string             `toml:"upload_listen"`   // "" with download_listen "" disables the sites
	DownloadListen string             `toml:"download_listen"` //
	TLSCert        string             `toml:"tls_cert"`
	TLSKey         string             `toml:"tls_key"`
	PlainHTTP      bool               `toml:"plain_http"` // only when both addresses are loopback
	Expiry         sanitizer.Duration `toml:"expiry"`
	Approval       bool               `toml:"approval"`
	MaxUploadBytes int64              `toml:"max_upload_bytes"`
	MaxFiles       int                `toml:"max_files"`
	Workers        int                `toml:"workers"`
	DownloadURL    string             `toml:"download_url"` // the download site as LGWAN staff reach it; "" = not told
}

// Scanner points at an optional antivirus engine.
type Scanner struct {
	Clamd string `toml:"clamd"` // unix:/path or tcp:host:port; "" = no scanner
}

func dur(d time.Duration) sanitizer.Duration { return sanitizer.Duration{Duration: d} }

// Default returns the configuration used without a file.
func Default() Config {
	c := Config{
		DataDir: "./data",
		Log:     Log{Level: "info", Format: "json"},
		SMTP: SMTP{
			Listen: ":2525", Domains: []string{"localhost", "localhost.localdomain"}, AllowNets: []string{},
			MaxMessageBytes: 25 << 20, MaxRecipients: 100, MaxLineLength: 2000,
			CommandTimeout: dur(5 * time.Minute), DataTimeout: dur(10 * time.Minute), WriteTimeout: dur(time.Minute),
			MaxConnections: 200, MaxConnectionsPerIP: 20, DrainTimeout: dur(30 * time.Second),
			JunkCommandLimit: 20,
		},
		Process: Process{Workers: 16, Timeout: dur(5 * time.Minute), Retention: dur(180 * 24 * time.Hour),
			TransferRetention: dur(180 * 24 * time.Hour), SweepInterval: dur(time.Hour), FollowUpWindow: dur(time.Hour)},
		Cluster: Cluster{Role: RoleAll},
		Auth: Auth{LDAP: LDAP{UserFilter: "(uid={user})", GroupFilter: "(|(member={dn})(uniqueMember={dn})(memberUid={user}))",
			DisplayName: "displayName", Mail: "mail", Timeout: dur(10 * time.Second)}},
		Deliver: Deliver{
			Remote:  Remote{Timeout: dur(5 * time.Minute)},
			Workers: 16, RetryInitial: dur(time.Minute), RetryMax: dur(time.Hour),
			Lifetime: dur(120 * time.Hour), ScanInterval: dur(30 * time.Second),
		},
		ReturnPath: Remote{Timeout: dur(5 * time.Minute)},
		Admin:      Admin{Listen: "127.0.0.1:9025"},
		Quarantine: Quarantine{NeverRelease: []string{}},
		Web: Web{
			UploadListen: ":8080", DownloadListen: ":8081", Expiry: dur(7 * 24 * time.Hour),
			MaxUploadBytes: 100 << 20, MaxFiles: 20, Workers: 2,
		},
	}
	defaultFormats(&c)
	return c
}

//go:embed example.toml
var example string

// Example returns the annotated configuration file: every option with
// its default.
func Example() string { return example }

// Load reads a file over the defaults and checks it.
func Load(file string) (Config, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return Config{}, err
	}
	return Parse(b)
}

// Parse reads a configuration over the defaults and checks it.
func Parse(b []byte) (Config, error) {
	c := Default()
	md, err := toml.NewDecoder(bytes.NewReader(b)).Decode(&c)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		sort.Strings(keys)
		return Config{}, fmt.Errorf("config: unknown keys: %s", strings.Join(keys, ", "))
	}
	return c, c.Check()
}

// Check reports every invalid value at once.
func (c *Config) Check() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("config: "+format, a...)) }
	if c.DataDir == "" {
		bad("data_dir is empty")
	}
	if _, _, err := net.SplitHostPort(c.SMTP.Listen); err != nil {
		bad("smtp.listen: %v", err)
	}
	if len(c.SMTP.Domains) == 0 {
		bad("smtp.domains is empty: no recipient would be accepted")
	}
	for _, d := range c.SMTP.Domains {
		if d == "" || strings.ContainsAny(d, "@ /") {
			bad("smtp.domains: %q is not a domain", d)
		}
	}
	if c.SMTP.MaxMessageBytes <= 0 || c.SMTP.MaxRecipients <= 0 || c.SMTP.MaxConnections <= 0 || c.SMTP.MaxConnectionsPerIP <= 0 || c.SMTP.MaxLineLength < 1000 {
		bad("smtp limits must be positive (max_line_length at least 1000, RFC 5321 4.5.3.1.6)")
	}
	if (c.SMTP.TLSCert == "") != (c.SMTP.TLSKey == "") {
		bad("smtp.tls_cert and smtp.tls_key go together")
	}
	for name, r := range map[string]Remote{"deliver": c.Deliver.Remote, "return_path": c.ReturnPath} {
		if r.Relay != "" {
			if _, _, err := net.SplitHostPort(r.Relay); err != nil {
				bad("%s.relay: %v", name, err)
			}
		}
		if r.Username != "" && !r.StartTLS {
			bad("%s.username needs starttls = true: no AUTH in the clear", name)
		}
	}
	if c.Deliver.RetryInitial.Duration > c.Deliver.RetryMax.Duration {
		bad("deliver.retry_initial is longer than deliver.retry_max")
	}
	if c.Admin.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Admin.Listen); err != nil {
			bad("admin.listen: %v", err)
		}
	}
	if (c.Web.UploadListen == "") != (c.Web.DownloadListen == "") {
		bad("web.upload_listen and web.download_listen go together (both empty disables the sites)")
	}
	for name, a := range map[string]string{"upload_listen": c.Web.UploadListen, "download_listen": c.Web.DownloadListen} {
		if a != "" {
			if _, _, err := net.SplitHostPort(a); err != nil {
				bad("web.%s: %v", name, err)
			}
		}
	}
	if (c.Web.TLSCert == "") != (c.Web.TLSKey == "") {
		bad("web.tls_cert and web.tls_key go together")
	}
	if u := c.Web.DownloadURL; u != "" {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			bad("web.download_url %q: an absolute https:// address", u)
		}
	}
	if c.Web.MaxUploadBytes <= 0 || c.Web.MaxFiles <= 0 || c.Web.Workers <= 0 || c.Web.Expiry.Duration <= 0 {
		bad("web limits, workers and expiry must be positive")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level %q: debug, info, warn or error", c.Log.Level)
	}
	if c.Log.Format != "json" && c.Log.Format != "text" {
		bad("log.format %q: json or text", c.Log.Format)
	}
	if c.Process.Retention.Duration <= 0 || c.Process.TransferRetention.Duration <= 0 || c.Process.SweepInterval.Duration <= 0 {
		bad("process.retention, transfer_retention and sweep_interval must be positive")
	}
	if c.Process.PasswordFromFollowUp && c.Process.FollowUpWindow.Duration <= 0 {
		bad("process.follow_up_window must be positive with password_from_follow_up")
	}
	checkDurations(reflect.ValueOf(c).Elem(), "", bad)
	c.checkFormats(bad)
	c.checkPolicies(bad)
	c.checkCluster(bad)
	return errors.Join(errs...)
}

var durationType = reflect.TypeFor[sanitizer.Duration]()

// checkDurations reports every negative duration in the struct v, whose
// TOML path is prefix.
func checkDurations(v reflect.Value, prefix string, bad func(format string, a ...any)) {
	for i := range v.NumField() {
		f, sf := v.Field(i), v.Type().Field(i)
		tag, _, _ := strings.Cut(sf.Tag.Get("toml"), ",")
		switch {
		case sf.Type == durationType:
			if d := f.Interface().(sanitizer.Duration); d.Duration < 0 {
				bad("%s%s: negative duration %s", prefix, tag, d)
			}
		case sf.Type.Kind() == reflect.Struct && sf.Anonymous:
			checkDurations(f, prefix, bad) // an embedded struct's keys are its parent's
		case sf.Type.Kind() == reflect.Struct:
			checkDurations(f, prefix+tag+".", bad)
		}
	}
}
