package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mugai-project/mugai/internal/audit"
	"github.com/mugai-project/mugai/internal/clamd"
	"github.com/mugai-project/mugai/internal/config"
	"github.com/mugai-project/mugai/internal/held"
	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/store"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/render"
	"github.com/mugai-project/mugai/smtpproxy"
	"github.com/mugai-project/mugai/transfer"
)

// Options are what New takes besides the configuration. The zero value
// means the defaults.
type Options struct {
	// Logger; default NewLogger(cfg.Log, os.Stderr).
	Logger *slog.Logger
	// Registry receives every metric and is served on /metrics; default
	// a new one with the Go and process collectors.
	Registry *prometheus.Registry
}

// Service is mugai running on one machine: the parts New built from
// the configuration, each built once and handed to the front doors.
type Service struct {
	Engine     *sanitizer.Engine
	Quarantine store.Quarantine
	// Outputs keeps the sites' sanitized outputs. Both are in the data
	// folder, or in JetStream with cluster.nats (OpenStorage).
	Outputs store.Blobs
	// DB is mugai.db, or the cluster's PostgreSQL database (OpenDB),
	// shared by the relay, the sites and the audit trail.
	DB    *meta.DB
	Relay *smtpproxy.Relay
	Sites *transfer.Server // nil when web.upload_listen is ""
	// Retention purges originals past their retention; Run sweeps with
	// it every process.sweep_interval.
	Retention *store.Retention
	Registry  *prometheus.Registry

	cfg  config.Config
	held *held.Links
	// hints are the PPAP passwords found in follow-up mails (nil: off).
	hints    *held.Hints
	log      *slog.Logger
	up, down net.Listener // the sites'
	admin    *http.Server
	adminL   net.Listener
	audit    *audit.Log // the system's entries (retention)
	// sweep is the retention sweep's context, cancelled by stop.
	sweep    context.Context
	sweeping context.CancelFunc
	stopping atomic.Bool
	served   sync.WaitGroup
	// renderer is the engine's PDF renderer, which the sites' previews
	// share.
	renderer *render.Flattener
	// heldFiles keeps the unlocked held mails' contents, beside Outputs.
	heldFiles store.Blobs
	// closeStorage closes the JetStream connection (cluster.nats); nil
	// until the storage is open.
	closeStorage func()
}

// worker reports a node that runs only the relay's workers
// (cluster.role "worker"): no SMTP listener, no sites.
func (s *Service) worker() bool { return s.cfg.Cluster.Role == config.RoleWorker }

// New builds the service from the configuration: the engine with every
// format and the clamd scanner (when set), the storage (the quarantine
// and the sites' outputs, OpenStorage), the one
// database handle, the relay, the transfer sites and the admin listener
// (/metrics, /healthz). Every listener is open when it returns; Run
// serves them. On an error, whatever was built is released.
func New(ctx context.Context, cfg config.Config, opts Options) (_ *Service, err error) {
	if opts.Logger == nil {
		opts.Logger = NewLogger(cfg.Log, os.Stderr)
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
		opts.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	s := &Service{cfg: cfg, log: opts.Logger, Registry: opts.Registry}
	s.sweep, s.sweeping = context.WithCancel(context.Background())
	defer func() {
		if err != nil {
			s.stop(context.Background())
		}
	}()
	eo, err := engineOptions(&cfg, s.log)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(tempDir(&cfg), 0o700); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	var scanner *clamd.Client
	if cfg.Scanner.Clamd != "" {
		sc, err := NewScanner(ctx, cfg.Scanner.Clamd)
		if err != nil {
			return nil, fmt.Errorf("scanner: %w", err)
		}
		eo.Sanitizer.Scanner, scanner = sc, sc
		s.log.Info("serve: every item is scanned by clamd", "addr", cfg.Scanner.Clamd)
	}
	eo.Sanitizer.Registerer = s.Registry
	// One link per withheld message to its page on the download site,
	// in the notices the engine and the relay write.
	if s.DB, err = OpenDB(ctx, &cfg); err != nil {
		return nil, err
	}
	if s.held, err = held.LoadLinks(cfg.DataDir, cfg.Web.DownloadURL); err != nil {
		return nil, err
	}
	if s.DB.Postgres() {
		// A cluster: a link made by one node opens on any node's site.
		if err := s.held.Share(ctx, cfg.DataDir, func(ctx context.Context, k []byte) ([]byte, error) {
			return s.DB.SharedKey(ctx, "held", k)
		}); err != nil {
			return nil, err
		}
	}
	eo.Mail.HeldLink = s.held.URL
	var parts *EngineParts
	if s.Engine, parts, err = NewEngineParts(eo); err != nil {
		return nil, fmt.Errorf("sanitizer: %w", err)
	}
	// The approvers' previews draw with the engine's renderer.
	s.renderer = parts.Renderer
	st, err := OpenStorage(ctx, &cfg, s.DB)
	if err != nil {
		return nil, err
	}
	s.Quarantine, s.Outputs, s.heldFiles, s.closeStorage = st.Quarantine, st.Outputs, st.Held, st.Close
	md, err := meta.NewStore(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	ps, err := newPolicies(&cfg)
	if err != nil {
		return nil, err
	}
	ro := RelayOptions(&cfg)
	ro.Logger, ro.Metrics = s.log, smtpproxy.NewMetrics(s.Registry)
	if len(cfg.Policy.Domain) > 0 {
		ro.PolicyFor = ps.forRecipients
	}
	ro.HeldLink = s.held.URL
	switch {
	case !cfg.Process.PasswordFromFollowUp:
	case st.JetStream != nil:
		// On a cluster every node, a worker too, finds passwords for
		// every node's download site.
		if s.hints, err = held.NewClusterHints(ctx, st.JetStream, held.ClusterHints{
			Window: cfg.Process.FollowUpWindow.Duration, Links: s.held, Replicas: st.Replicas, Logger: s.log,
		}); err != nil {
			return nil, fmt.Errorf("password hints: %w", err)
		}
	case cfg.Web.UploadListen != "" && !s.worker():
		// The relay finds the passwords, the download site offers them.
		s.hints = &held.Hints{Window: cfg.Process.FollowUpWindow.Duration}
	}
	if s.hints != nil {
		ro.FollowUps = s.hints
	}
	// The relay's spool and work queue share the storage's connection.
	ro.JetStream, ro.Replicas = st.JetStream, st.Replicas
	// One node of a cluster at a time purges the stored chunks no job
	// needs, as one sweeps the quarantine.
	ro.Lead = func(ctx context.Context, sweep func(context.Context) error) error {
		_, err := s.DB.Lead(ctx, "spool-sweep", sweep)
		return err
	}
	if s.Relay, err = smtpproxy.New(ro, s.Engine, s.Quarantine, md); err != nil {
		return nil, fmt.Errorf("relay: %w", err)
	}
	if s.worker() {
		s.log.Info("serve: a worker node: no SMTP listener and no sites, only the relay's workers")
	} else if err := s.Relay.Listen(); err != nil {
		return nil, fmt.Errorf("SMTP listener: %w", err)
	}
	if cfg.Web.UploadListen != "" && !s.worker() {
		_, outboxDir, _, _ := ro.Dirs()
		if err := s.newSites(ps, NewOperations(OperationsOptions{
			DataDir: cfg.DataDir, OutboxDir: outboxDir, Releases: s.Relay, Quarantine: s.Quarantine, Meta: md, Scanner: scanner, Parts: parts,
		})); err != nil {
			return nil, fmt.Errorf("transfer sites: %w", err)
		}
	}
	if s.audit, err = audit.New(ctx, s.DB, filepath.Join(cfg.DataDir, "audit", "system.jsonl")); err != nil {
		return nil, err
	}
	s.Retention = &store.Retention{Quarantine: s.Quarantine, Audit: s.audit, Interval: cfg.Process.SweepInterval.Duration, Logger: s.log,
		// One node of a cluster at a time.
		Lead: func(ctx context.Context, sweep func(context.Context) error) error {
			_, err := s.DB.Lead(ctx, "retention", sweep)
			return err
		}}
	if s.Sites != nil {
		// An original whose release is requested stays until the
		// approver decides.
		s.Retention.Holds = s.Sites.HasOpenRequest
	}
	if cfg.Admin.Listen != "" {
		if s.adminL, err = net.Listen("tcp", cfg.Admin.Listen); err != nil {
			return nil, fmt.Errorf("admin listener: %w", err)
		}
		s.admin = &http.Server{Handler: s.adminRoutes(), ReadHeaderTimeout: 10 * time.Second}
	}
	return s, nil
}

func (s *Service) newSites(ps *policies, ops transfer.Operations) error {
	to := transferOptions(&s.cfg)
	to.Engine, to.Quarantine, to.Outputs, to.HeldFiles, to.DB, to.Operations = s.Engine, s.Quarantine, s.Outputs, s.heldFiles, s.DB, ops
	to.Previewer = s.renderer
	to.Logger, to.Metrics = s.log, transfer.NewMetrics(s.Registry)
	if len(s.cfg.Policy.Department) > 0 {
		to.PolicyFor = ps.forDepartments
	}
	// The held-item pages send what they make through the relay's outbox.
	to.Held, to.Mailer, to.MailHost = s.held, s.Relay, s.Relay.Hostname()
	to.Hints = s.hints
	var err error
	if to.Auth.Directory, err = directory(&s.cfg); err != nil {
		return err
	}
	if s.Sites, err = transfer.New(to); err != nil {
		return err
	}
	if s.up, err = net.Listen("tcp", to.UploadAddr); err != nil {
		return fmt.Errorf("upload site: %w", err)
	}
	if s.down, err = net.Listen("tcp", to.DownloadAddr); err != nil {
		return fmt.Errorf("download site: %w", err)
	}
	return nil
}

// adminRoutes are /metrics and /healthz, which answers 503 once
// Shutdown has begun.
func (s *Service) adminRoutes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{Registry: s.Registry}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if s.stopping.Load() {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok\n")
	})
	return mux
}

// AdminAddr is the admin listener's address; nil when it is off.
func (s *Service) AdminAddr() net.Addr {
	if s.adminL == nil {
		return nil
	}
	return s.adminL.Addr()
}

// SiteAddrs are the upload and download sites' addresses; nil when the
// sites are off.
func (s *Service) SiteAddrs() (upload, download net.Addr) {
	if s.Sites == nil {
		return nil, nil
	}
	return s.up.Addr(), s.down.Addr()
}

// Run serves the relay, the sites and the admin listener until ctx is
// done (it returns nil) or one of them fails (it returns the error).
// Either way, call Shutdown next.
func (s *Service) Run(ctx context.Context) error {
	errc := make(chan error, 3)
	context.AfterFunc(ctx, s.sweeping)
	s.served.Add(1)
	go func() {
		defer s.served.Done()
		s.Retention.Run(s.sweep)
	}()
	if s.worker() {
		s.Relay.Start()
	} else {
		s.served.Add(1)
		go func() {
			defer s.served.Done()
			if err := s.Relay.Serve(); err != nil {
				errc <- fmt.Errorf("relay: %w", err)
			}
		}()
	}
	if s.Sites != nil {
		s.served.Add(1)
		go func() {
			defer s.served.Done()
			// The sites stop with Shutdown, not with ctx: the relay
			// and the sites go down in order.
			if err := s.Sites.Serve(context.WithoutCancel(ctx), s.up, s.down); err != nil {
				errc <- fmt.Errorf("transfer sites: %w", err)
			}
		}()
	}
	if s.admin != nil {
		go func() {
			if err := s.admin.Serve(s.adminL); !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("admin listener: %w", err)
			}
		}()
		s.log.Info("serve: admin listening", "addr", s.adminL.Addr().String())
	}
	smtpAddr := "off"
	if !s.worker() {
		smtpAddr = s.Relay.Addr().String()
	}
	s.log.Info("serve: started", "smtp", smtpAddr, "role", s.cfg.Cluster.Role, "upload", s.cfg.Web.UploadListen, "download", s.cfg.Web.DownloadListen,
		"data", s.cfg.DataDir, "delivery", DeliveryTarget(&s.cfg))
	select {
	case <-ctx.Done():
		return nil
	case err := <-errc:
		return err
	}
}

// Shutdown stops the service: /healthz turns 503, the sites stop
// accepting and finish their requests, the relay gives new sessions 421
// and lets open ones finish (up to smtp.drain_timeout), then the admin
// listener stops and the engine and the database are closed. ctx bounds
// the whole; what is left unfinished is picked up at the next start.
func (s *Service) Shutdown(ctx context.Context) error {
	s.log.Info("serve: shutting down: new sessions get 421, open ones may finish")
	err := s.stop(ctx)
	s.log.Info("serve: stopped")
	return err
}

// stop stops what New built, in Shutdown's order; New calls it on what
// it built before an error.
func (s *Service) stop(ctx context.Context) error {
	s.stopping.Store(true)
	s.sweeping()
	var errs []error
	if s.Sites != nil {
		if err := s.Sites.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("transfer sites: %w", err))
		}
	}
	if s.Relay != nil {
		if err := s.Relay.Shutdown(ctx); err != nil && !errors.Is(err, context.Canceled) {
			errs = append(errs, fmt.Errorf("relay: %w", err))
		}
	}
	// The sites and the relay are done with JetStream: flush and close it.
	if s.closeStorage != nil {
		s.closeStorage()
	}
	if s.admin != nil {
		s.admin.Shutdown(ctx)
	}
	done := make(chan struct{})
	go func() { s.served.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, ctx.Err())
	}
	// The listeners Run did not take over, the engine, the database.
	for _, l := range []net.Listener{s.up, s.down, s.adminL} {
		if l != nil {
			l.Close()
		}
	}
	if s.Engine != nil {
		s.Engine.Close()
	}
	if s.audit != nil {
		s.audit.Close()
	}
	if s.DB != nil {
		s.DB.Close()
	}
	return errors.Join(errs...)
}

// DeliveryTarget says where the relay delivers: the LGWAN MTA, or the
// Maildir in the data folder.
func DeliveryTarget(c *config.Config) string {
	if c.Deliver.Relay != "" {
		return c.Deliver.Relay
	}
	return "Maildir " + c.DataDir + "/maildir"
}
