package sanitizer

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the engine's Prometheus series. Every label is bounded: a
// detected kind and an action come from fixed lists, a reason from the
// reason codes.
type metrics struct {
	items    *prometheus.CounterVec
	withheld *prometheus.CounterVec
	duration prometheus.Histogram
}

// newMetrics registers the series on reg; a nil reg means no metrics
// (and a nil *metrics, whose methods do nothing).
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		items: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mugai_sanitize_items_total",
			Help: "Items sanitized, top-level and nested, by detected kind and action taken.",
		}, []string{"kind", "action"}),
		withheld: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mugai_sanitize_withheld_total",
			Help: "Items withheld or held, top-level and nested, by reason code.",
		}, []string{"reason"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "mugai_sanitize_duration_seconds",
			Help:    "Time to sanitize one top-level item, everything nested in it included.",
			Buckets: prometheus.ExponentialBuckets(0.005, 4, 9), // 5 ms to about 5.5 min
		}),
	}
	for _, c := range []prometheus.Collector{m.items, m.withheld, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// item counts one finished item.
func (m *metrics) item(rep *Report) {
	if m == nil {
		return
	}
	m.items.WithLabelValues(string(rep.Detected), string(rep.Action)).Inc()
	for _, r := range rep.Reasons {
		m.withheld.WithLabelValues(r.Code).Inc()
	}
}

// top records the time one top-level item took.
func (m *metrics) top(d time.Duration) {
	if m == nil {
		return
	}
	m.duration.Observe(d.Seconds())
}
