package transfer

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/mugai-project/mugai/internal/audit"
)

// Metrics are the transfer sites' Prometheus metrics, named
// mugai_transfer_<thing>_total with bounded labels.
type Metrics struct {
	Logins    *prometheus.CounterVec // result: ok, bad-credentials, locked, disabled, rate-limited, error
	Uploads   prometheus.Counter     // files received
	Downloads prometheus.Counter     // sanitized files served
	Failures  *prometheus.CounterVec // what: upload, process, original, incoming, sanitize, quarantine, outputs, finish, delete
}

// NewMetrics creates the metrics and registers them in reg (a new
// registry if nil).
func NewMetrics(reg *prometheus.Registry) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &Metrics{
		Logins:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mugai_transfer_logins_total", Help: "Login attempts on both sites, by result."}, []string{"result"}),
		Uploads:   prometheus.NewCounter(prometheus.CounterOpts{Name: "mugai_transfer_uploads_total", Help: "Files received on the upload site."}),
		Downloads: prometheus.NewCounter(prometheus.CounterOpts{Name: "mugai_transfer_downloads_total", Help: "Sanitized files served on the download site."}),
		Failures:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mugai_transfer_failures_total", Help: "Local failures, by step."}, []string{"what"}),
	}
	reg.MustRegister(m.Logins, m.Uploads, m.Downloads, m.Failures)
	return m
}

// count counts the audited event e: logins by outcome, uploads and
// downloads.
func (m *Metrics) count(e audit.Event) {
	switch e.Action {
	case audit.Login:
		m.Logins.WithLabelValues("ok").Inc()
	case audit.LoginFailed:
		m.Logins.WithLabelValues(e.Outcome).Inc()
	case audit.Upload:
		m.Uploads.Inc()
	case audit.Download:
		m.Downloads.Inc()
	}
}

// failure logs a local failure of step what on an item and counts it.
func (s *Server) failure(what, itemID string, err error) {
	s.metrics.Failures.WithLabelValues(what).Inc()
	s.log.Error(what, "item_id", itemID, "err", err)
}
