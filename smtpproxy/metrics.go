package smtpproxy

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the relay's Prometheus metrics, named
// mugai_smtp_<thing>_total with bounded labels.
type Metrics struct {
	Registry        *prometheus.Registry
	Accepted        prometheus.Counter
	AcceptedBytes   prometheus.Counter
	Rejected        *prometheus.CounterVec // reason
	Sanitized       *prometheus.CounterVec // action: the sanitizer's action, or "notice"
	Delivered       prometheus.Counter     // per recipient
	Deferred        prometheus.Counter     // per recipient and attempt
	Bounced         prometheus.Counter     // per recipient
	QueueDepth      *prometheus.GaugeVec   // queue: spool, outbox, jobs
	SanitizeSeconds prometheus.Histogram
	// The JetStream jobs of this node (jobs.go).
	JobsTaken       prometheus.Counter
	JobsAcked       prometheus.Counter
	JobsRedelivered prometheus.Counter
}

// NewMetrics creates the metrics and registers them in reg (a new
// registry if nil).
func NewMetrics(reg *prometheus.Registry) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &Metrics{
		Registry:      reg,
		Accepted:      prometheus.NewCounter(prometheus.CounterOpts{Name: "mugai_smtp_accepted_total", Help: "Messages accepted (250 after fsync)."}),
		AcceptedBytes: prometheus.NewCounter(prometheus.CounterOpts{Name: "mugai_smtp_accepted_bytes_total", Help: "Bytes of accepted messages."}),
		Rejected:      prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mugai_smtp_rejected_total", Help: "Connections, recipients and messages refused, by reason."}, []string{"reason"}),
		Sanitized:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mugai_smtp_sanitized_total", Help: "Messages processed, by sanitizer action (notice: withheld, the recipients got a notice)."}, []string{"action"}),
		Delivered:     prometheus.NewCounter(prometheus.CounterOpts{Name: "mugai_smtp_delivered_total", Help: "Recipients delivered."}),
		Deferred:      prometheus.NewCounter(prometheus.CounterOpts{Name: "mugai_smtp_deferred_total", Help: "Recipient delivery attempts deferred (4xx or connection failure)."}),
		Bounced:       prometheus.NewCounter(prometheus.CounterOpts{Name: "mugai_smtp_bounced_total", Help: "Recipients failed for good (5xx or expiry)."}),
		QueueDepth:    prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "mugai_smtp_queue_depth", Help: "Messages waiting, by queue."}, []string{"queue"}),
		SanitizeSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "mugai_smtp_sanitize_seconds", Help: "Time to sanitize one message.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 14)}),
	}
	m.JobsTaken = prometheus.NewCounter(prometheus.CounterOpts{Name: "mugai_smtp_jobs_taken_total", Help: "Jobs (sanitize, delivery) this node took from JetStream."})
	m.JobsAcked = prometheus.NewCounter(prometheus.CounterOpts{Name: "mugai_smtp_jobs_acked_total", Help: "Jobs (sanitize, delivery) this node finished and acknowledged."})
	m.JobsRedelivered = prometheus.NewCounter(prometheus.CounterOpts{Name: "mugai_smtp_jobs_redelivered_total", Help: "Jobs this node took that another delivery had taken before."})
	reg.MustRegister(m.Accepted, m.AcceptedBytes, m.Rejected, m.Sanitized, m.Delivered, m.Deferred, m.Bounced, m.QueueDepth, m.SanitizeSeconds,
		m.JobsTaken, m.JobsAcked, m.JobsRedelivered)
	return m
}
