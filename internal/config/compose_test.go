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
	cf := loadCompose(t, "../../docker-compose.yml")
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
	c := cf.mounted(t, "mugai")
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

// composeFile is what the tests read of a compose file.
type composeFile struct {
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

func loadCompose(t *testing.T, name string) *composeFile {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var cf composeFile
	if err := yaml.Unmarshal(b, &cf); err != nil {
		t.Fatal(err)
	}
	return &cf
}

// content is the text of the config mounted at target in service.
func (cf *composeFile) content(t *testing.T, service, target string) string {
	t.Helper()
	for _, c := range cf.Services[service].Configs {
		if c.Target == target {
			return cf.Configs[c.Source].Content
		}
	}
	t.Fatalf("%s: the config %s is not mounted from configs", service, target)
	return ""
}

// mounted is the mugai configuration a service runs with.
func (cf *composeFile) mounted(t *testing.T, service string) Config {
	t.Helper()
	m := cf.Services[service]
	if len(m.Command) < 3 || m.Command[0] != "serve" || m.Command[1] != "-config" {
		t.Fatalf("%s: command %v", service, m.Command)
	}
	c, err := Parse([]byte(cf.content(t, service, m.Command[2])))
	if err != nil {
		t.Fatalf("%s: mounted config: %v", service, err)
	}
	return c
}

// TestComposeClusterFile checks docker-compose.cluster.yml: three mugai
// nodes with their own data volumes and names on one database and the
// three NATS servers, two with SMTP and the sites published and one
// worker, and three
// NATS servers with JetStream routed to each other.
func TestComposeClusterFile(t *testing.T) {
	cf := loadCompose(t, "../../docker-compose.cluster.yml")
	names, smtp, workers := map[string]bool{}, 0, 0
	var db, natsURLs string
	for _, svc := range []string{"mugai1", "mugai2", "mugai3"} {
		c := cf.mounted(t, svc)
		if db == "" {
			db, natsURLs = c.Cluster.Database, c.Cluster.NATS
		}
		if c.Cluster.Database != db || c.Cluster.NATS != natsURLs || db == "" {
			t.Errorf("%s: database %q, nats %q: every node the same, set", svc, c.Cluster.Database, c.Cluster.NATS)
		}
		if names[c.Cluster.Node] || c.Cluster.Node == "" {
			t.Errorf("%s: node name %q not its own", svc, c.Cluster.Node)
		}
		names[c.Cluster.Node] = true
		vol := false
		for _, v := range cf.Services[svc].Volumes {
			name, target, _ := strings.Cut(v, ":")
			_, declared := cf.Volumes[name]
			vol = vol || target == c.DataDir && declared && strings.HasPrefix(name, svc)
		}
		if !vol {
			t.Errorf("%s: data_dir %s is not a volume of its own: %v", svc, c.DataDir, cf.Services[svc].Volumes)
		}
		switch c.Cluster.Role {
		case RoleWorker:
			workers++
		case RoleAll:
			for _, l := range []string{c.SMTP.Listen, c.Web.UploadListen, c.Web.DownloadListen} {
				_, port, _ := net.SplitHostPort(l)
				if port == "" || !slices.ContainsFunc(cf.Services[svc].Ports, func(p string) bool { return strings.HasSuffix(p, ":"+port) }) {
					t.Errorf("%s: %q not published", svc, l)
				}
			}
			smtp++
		}
	}
	if smtp != 2 || workers != 1 {
		t.Errorf("%d SMTP nodes and %d workers, want 2 and 1", smtp, workers)
	}
	for _, n := range []string{"nats1", "nats2", "nats3"} {
		if !strings.Contains(natsURLs, "nats://"+n+":4222") {
			t.Errorf("cluster.nats %q lacks %s", natsURLs, n)
		}
		conf := cf.content(t, n, "/etc/nats/nats.conf")
		if !strings.Contains(conf, "jetstream") || !strings.Contains(conf, "server_name: "+n) {
			t.Errorf("%s: no JetStream or not its own name:\n%s", n, conf)
		}
		for _, peer := range []string{"nats1", "nats2", "nats3"} {
			if !strings.Contains(conf, "nats://"+peer+":6222") {
				t.Errorf("%s: no route to %s", n, peer)
			}
		}
	}
}
