package transfer

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// counter is the value of the counter name{labels} in reg.
func counter(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue metrics
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// TestMetrics: logins by result, uploads and downloads are counted on
// the registry the sites are given.
func TestMetrics(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	ts := startSite(t, Options{PlainHTTP: true, Metrics: NewMetrics(reg)})
	if st := ts.newClient(ts.up).tryLogin("alice", "wrong password!!"); st != http.StatusUnauthorized {
		t.Fatalf("bad login: %d", st)
	}
	alice := ts.newClient(ts.up).login("alice")
	it := ts.uploadOne(alice, "", "a.txt", []byte(plainText))
	if it.State != Done {
		t.Fatalf("item %s", it.State)
	}
	down := ts.newClient(ts.down).login("alice")
	if resp, _ := down.get(fmt.Sprintf("/files/%s/0", it.ID)); resp.StatusCode != http.StatusOK {
		t.Fatalf("download: %d", resp.StatusCode)
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"mugai_transfer_logins_total", map[string]string{"result": "ok"}, 2},
		{"mugai_transfer_logins_total", map[string]string{"result": "bad-credentials"}, 1},
		{"mugai_transfer_uploads_total", nil, 1},
		{"mugai_transfer_downloads_total", nil, 1},
	} {
		if got := counter(t, reg, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
}
