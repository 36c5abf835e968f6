package config

import (
	"net"
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestComposeFile checks the top-level docker-compose.yml against the
// configuration (no container engine runs where tests run): the config
// it mounts parses, its SMTP and admin ports are published, the data
// folder is a volume, and delivery goes to the lgwan service.
func TestComposeFile(t *testing.T) {
	b, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var cf struct {
		Services map[string]struct {
			Command []string `yaml:"command"`
			Ports   []string `yaml:"ports"`
			Volumes []string `yaml:"volumes"`
			Configs []struct {
				Source string `yaml:"source"`
				Target string `yaml:"target"`
			} `yaml:"configs"`
		} `yaml:"services"`
		Configs map[string]struct {
			Content string `yaml:"content"`
		} `yaml:"configs"`
		Volumes map[string]any `yaml:"volumes"`
	}
	if err := yaml.Unmarshal(b, &cf); err != nil {
		t.Fatal(err)
	}
	m, ok := cf.Services["mugai"]
	if !ok {
		t.Fatal("no mugai service")
	}
	if _, ok := cf.Services["lgwan"]; !ok {
		t.Fatal("no lgwan service")
	}
	if len(m.Command) < 3 || m.Command[0] != "serve" || m.Command[1] != "-config" {
		t.Fatalf("command %v", m.Command)
	}
	var content string
	for _, c := range m.Configs {
		if c.Target == m.Command[2] {
			content = cf.Configs[c.Source].Content
		}
	}
	if content == "" {
		t.Fatalf("the config %s is not mounted from configs", m.Command[2])
	}
	c, err := Parse([]byte(content))
	if err != nil {
		t.Fatalf("mounted config: %v", err)
	}
	published := func(addr string) bool {
		_, port, _ := net.SplitHostPort(addr)
		for _, p := range m.Ports {
			if strings.HasSuffix(p, ":"+port) {
				return true
			}
		}
		return false
	}
	if !published(c.SMTP.Listen) {
		t.Errorf("SMTP %s not published: %v", c.SMTP.Listen, m.Ports)
	}
	if !published(c.Web.UploadListen) || !published(c.Web.DownloadListen) {
		t.Errorf("transfer sites %s, %s not published: %v", c.Web.UploadListen, c.Web.DownloadListen, m.Ports)
	}
	if !published(c.Admin.Listen) {
		t.Errorf("admin %s not published: %v", c.Admin.Listen, m.Ports)
	}
	for _, p := range m.Ports {
		if strings.HasSuffix(p, ":9025") && !strings.HasPrefix(p, "127.0.0.1:") {
			t.Errorf("admin port %s published beyond the host's loopback", p)
		}
	}
	vol := false
	for _, v := range m.Volumes {
		name, target, _ := strings.Cut(v, ":")
		if target == c.DataDir {
			_, declared := cf.Volumes[name]
			vol = declared
		}
	}
	if !vol {
		t.Errorf("data_dir %s is not a named volume: %v", c.DataDir, m.Volumes)
	}
	if host, _, _ := net.SplitHostPort(c.Deliver.Relay); host != "lgwan" {
		t.Errorf("deliver.relay %q is not the lgwan service", c.Deliver.Relay)
	}
	if !slices.Contains(c.SMTP.Domains, "lg.example.jp") {
		t.Errorf("domains %v", c.SMTP.Domains)
	}
	// The defaults the image runs with agree with what it exposes.
	d := Default()
	if _, port, _ := net.SplitHostPort(d.SMTP.Listen); port != "2525" {
		t.Errorf("default SMTP port %s, Dockerfile exposes 2525", port)
	}
}
