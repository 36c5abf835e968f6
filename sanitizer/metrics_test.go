package sanitizer_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mugai-project/mugai/sanitizer"
)

// gathered returns every sample of reg as "name{label=value,…}" → value,
// with a histogram as its sample count.
func gathered(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			key := mf.GetName() + "{" + strings.Join(labels, ",") + "}"
			switch {
			case m.GetCounter() != nil:
				got[key] = m.GetCounter().GetValue()
			case m.GetHistogram() != nil:
				got[key] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return got
}

func TestMetricsCountItemsAndReasons(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newTestEngine(t, sanitizer.Options{Registerer: reg})
	run(t, e, "a.txt", []byte("hello\n"))
	run(t, e, "b.txt", []byte("again\n"))
	run(t, e, "run.exe", []byte("MZ"+strings.Repeat("\x00", 100)))

	got := gathered(t, reg)
	want := map[string]float64{
		"mugai_sanitize_items_total{action=block,kind=exe}": 1,
		"mugai_sanitize_items_total{action=text,kind=text}": 2,
		"mugai_sanitize_withheld_total{reason=executable}":  1,
		"mugai_sanitize_duration_seconds{}":                 3,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("series %v, want only %v", got, want)
	}
}

// TestMetricsRegisterOnce: a second engine on the same registry is refused
// rather than sharing or hiding series.
func TestMetricsRegisterOnce(t *testing.T) {
	reg := prometheus.NewRegistry()
	newTestEngine(t, sanitizer.Options{Registerer: reg})
	if _, err := sanitizer.New(sanitizer.Options{Registerer: reg}); err == nil {
		t.Error("a second engine registered the same metrics")
	}
}
