// Package transfer is mugai's file transfer web app: staff upload files on
// the upload site (Internet zone) and, once mugai has rebuilt them as
// harmless files, download them on the download site (LGWAN zone).
//
// The two sites are separate http.Servers with separate route tables:
// the upload site has no route that serves a file, and the download site
// has no route that accepts one; neither ever serves an original, which
// goes to the quarantine (store.Quarantine). Both require a login
// (internal/auth) with server-side sessions bound to their site, cookies
// HttpOnly, Secure (except plain HTTP on loopback) and SameSite=Strict
// (RFC 6265bis section 4.1.2.7), a CSRF token on every POST and an Origin
// check, a login rate limit per address and a lockout per account and
// address (internal/auth).
//
// Uploads are streamed part by part (mime/multipart.Reader) to files in
// the data folder, never held whole in memory, and refused mid-stream
// above the size limit. Background workers run each file through the
// sanitizer engine; the pages follow each item through a server-sent
// event stream (受付 → 無害化中 → 完了 / 保留 / 削除) and show the report
// in plain words. Both sites list a user's whole history, searched,
// sorted and paged in SQL, and the download site zips a selection of
// sanitized outputs into one file. A held encrypted file (PPAP) can be
// unlocked with its password, with a few tries. With Approval on, an
// upload states its purpose (目的) and a sanitized file is downloadable
// only after an approver (上長) other than the uploader approves it,
// having seen the report, the recipients, the purpose and a preview of
// the sanitized files.
//
// Administrators have a console on the download site (admin*.go): the
// relay's and the engine's state, the quarantine's search with purge and
// release, the audit trail with its CSV export, the delivery queue and
// the accounts; the relay's side comes from Options.Operations.
//
// Downloads carry Content-Disposition with an RFC 6266 / RFC 5987 UTF-8
// filename, nosniff, a CSP that forbids everything and no-store. Items
// expire (7 days by default) and are purged by a background job; the
// originals follow the quarantine's own retention. Every login, upload,
// result, approval, download and deletion goes to the audit trail
// (internal/audit).
//
// Held mail items (Options.Held, Options.Mailer): each notice of a
// sanitized mail with something withheld links to /held/<token> on the
// download site, a page only the message's recipients (and
// administrators) can open; anyone else, and any forged token, gets
// 404. It says what was withheld and why, the sender, subject and date.
// For an encrypted attachment (PPAP) the recipient types the password:
// the original is taken from the quarantine and run through the engine
// with it, and the rebuilt message is sent to that recipient as a new
// mail threaded to the original (RFC 5322 3.6.4), its attachments also
// offered for download; after MaxPasswordTries wrong passwords the item
// waits for an administrator. Passwords are neither logged nor stored.
// With Options.Hints, a password the sender mailed after the zip is
// offered to try with one click (「このパスワードを試す」), never tried by
// itself, and shown to the recipient of that mail only.
// A recipient may ask for the original with a reason (原本取り出し申請);
// an approver other than the requester approves or rejects it with a
// comment on /held-requests, and on approval the original message,
// with an X-Mugai-Released-By field, goes to the requester alone.
// Originals of executables and of malware are never released. The
// approvers are told of each request and the requester of each
// decision by mail (a link, no content), through the relay's outbox.
// With the Mailer, each recipient of an upload is told by mail, once
// they may download it (finished, and approved where approval is on),
// who sent which files and the download site's address, never the
// content.
//
// Metadata lives in mugai's database (the handle is given, Options.DB:
// mugai.db, or the PostgreSQL database a cluster's nodes share, so that
// a session and an item of one node are every node's), in tables
// prefixed transfer_, held_, auth_ and audit_, beside the relay's
// tables. The expiry purge runs on one node at a time (meta.DB.Lead).
// Sanitized outputs live in Options.Outputs: DATA/transfer/outputs/<item>/<n>
// on one machine, the cluster's JetStream Object Store on several.
//
// Divergence: an event stream ends after ten minutes (and the page then
// offers to reload) rather than living as long as the page, so that an
// open page does not keep an idle session alive.
package transfer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/mugai-project/mugai/internal/audit"
	"github.com/mugai-project/mugai/internal/auth"
	"github.com/mugai-project/mugai/internal/fsutil"
	"github.com/mugai-project/mugai/internal/held"
	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/store"
	"github.com/mugai-project/mugai/sanitizer"
)

// Options configure a Server. Engine, Quarantine and DB are required and
// stay the caller's (Shutdown closes none of them); for every other
// field the zero value means the default.
type Options struct {
	// DataDir holds transfer/ (uploads being received and, unless
	// Outputs and HeldFiles are set, the sanitized outputs and the
	// unlocked held mails' contents), audit/transfer.jsonl and tls/.
	// Default "data".
	DataDir string
	// Engine sanitizes the uploads.
	Engine *sanitizer.Engine
	// Quarantine keeps every original.
	Quarantine store.Quarantine
	// Outputs keeps the sanitized outputs, by item and index; default a
	// store.Folder in DATA/transfer/outputs.
	Outputs store.Blobs
	// HeldFiles keeps the contents of unlocked held mails, by
	// "<item>-<user hash>" and index; default a store.Folder in
	// DATA/transfer/held.
	HeldFiles store.Blobs
	// Node names this node in the items it claims for sanitizing;
	// default the host name. Lease is how long a claim lasts unless
	// renewed (a worker renews it while it sanitizes): an item whose
	// node stopped answering is taken by another after it; default 30s.
	// Nodes sharing DB need distinct names.
	Node  string
	Lease time.Duration
	// DB is mugai's database (meta.OpenDB, meta.OpenPostgres).
	DB *meta.DB
	// OriginalRetention is how long originals are kept in the
	// quarantine; default 90 days.
	OriginalRetention time.Duration

	UploadAddr   string // default ":8080"
	DownloadAddr string // default ":8081"
	// TLSCertFile and TLSKeyFile are the sites' certificate. Without
	// them a self-signed certificate is generated into DATA/tls/.
	TLSCertFile, TLSKeyFile string
	// PlainHTTP serves without TLS. It is refused unless both addresses
	// are loopback addresses (127.0.0.1, ::1, localhost): for tests and a
	// first look on one machine only. Cookies then lack Secure.
	PlainHTTP bool

	Expiry   time.Duration // how long a sanitized file can be downloaded; default 7 days
	Approval bool          // 上長承認: downloads wait for an approver, uploads need a 目的
	// DownloadURL is the download site's address as staff reach it from
	// the LGWAN zone, told on the upload page once a file is ready.
	DownloadURL string
	// MaxPasswordTries wrong PPAP passwords leave a held item to an
	// administrator; default 5.
	MaxPasswordTries int
	MaxUploadBytes   int64         // per file; default 100 MiB
	MaxFiles         int           // per upload request and per selection; default 20
	Workers          int           // sanitizing workers; default 2
	PurgeInterval    time.Duration // how often expired items are purged; default 10 minutes

	// LoginBurst attempts per client address at once, then one every
	// LoginEvery; defaults 10 and 6 seconds.
	LoginBurst int
	LoginEvery time.Duration
	// Auth configures the local accounts (lockout, session lifetimes)
	// and the directory, if any.
	Auth auth.Options
	// Operations, if set, gives the administration console the relay's
	// state and the release of held mail.
	Operations Operations
	// AllowRelease lets administrators release a held mail's original
	// unsanitized (quarantine.allow_release).
	AllowRelease bool
	// PolicyFor, if set, chooses the sanitizer policy of an upload by the
	// departments of the users who may download it (nil: the engine's).
	PolicyFor func(departments []string) *sanitizer.Policy

	// Held checks the links to held mail items (internal/held); with
	// Mailer, which sends what their pages make, it turns on the
	// download site's /held/ pages and /held-requests for approvers.
	Held   *held.Links
	Mailer Mailer
	// Hints, if set, are the passwords found in the mails that followed
	// a held PPAP mail (internal/held.Hints, filled by the relay), each
	// offered on the page to its own recipient as a one-click try.
	Hints *held.Hints
	// NeverRelease are reason codes whose originals are never released
	// on request, beside executables and malware (always refused).
	NeverRelease []string
	// MailHost names mugai in the mails the sites send; default
	// "localhost".
	MailHost string
	// Previewer draws the first page of a sanitized PDF for its
	// approver; nil, the approval page shows no picture.
	Previewer Previewer

	Logger  *slog.Logger
	Metrics *Metrics         // default: a private registry
	Now     func() time.Time // default time.Now
}

func (o Options) withDefaults() Options {
	if o.DataDir == "" {
		o.DataDir = "data"
	}
	if o.OriginalRetention <= 0 {
		o.OriginalRetention = 90 * 24 * time.Hour
	}
	if o.UploadAddr == "" {
		o.UploadAddr = ":8080"
	}
	if o.DownloadAddr == "" {
		o.DownloadAddr = ":8081"
	}
	if o.Expiry <= 0 {
		o.Expiry = 7 * 24 * time.Hour
	}
	if o.MaxUploadBytes <= 0 {
		o.MaxUploadBytes = 100 << 20
	}
	if o.MaxFiles <= 0 {
		o.MaxFiles = 20
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.MaxPasswordTries <= 0 {
		o.MaxPasswordTries = 5
	}
	if o.Node == "" {
		o.Node, _ = os.Hostname()
	}
	if o.Lease <= 0 {
		o.Lease = 30 * time.Second
	}
	if o.PurgeInterval <= 0 {
		o.PurgeInterval = 10 * time.Minute
	}
	if o.MailHost == "" {
		o.MailHost = "localhost"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Auth.Now == nil {
		o.Auth.Now = o.Now
	}
	return o
}

// Zones name the two sites in sessions and the audit trail.
const (
	ZoneUpload   = "upload"
	ZoneDownload = "download"
)

// Server runs the two sites.
type Server struct {
	opts    Options
	db      *meta.DB
	users   *auth.Local
	audit   *audit.Log
	eng     *sanitizer.Engine
	q       store.Quarantine
	limiter *auth.Limiter
	tmpl    map[string]*template.Template
	log     *slog.Logger
	metrics *Metrics
	hub     hub // wakes and ends the event streams

	incoming string
	// durable is the barrier of incoming's file system
	// (fsutil.NewFileSystemSync), one for the site: an upload's linked
	// originals are durable once its Sync returns.
	durable   interface{ Sync() error }
	outputs   store.Blobs
	heldFiles store.Blobs
	// active are the items this node's workers are sanitizing now.
	active sync.Map

	jobs    chan job
	workers sync.WaitGroup
	stop    context.CancelFunc

	mu       sync.Mutex
	servers  []*http.Server
	shutdown bool
}

// New creates its tables in opts.DB and its folders in opts.DataDir and
// builds the two sites. It does not listen yet.
func New(opts Options) (*Server, error) {
	switch {
	case opts.Engine == nil:
		return nil, errors.New("transfer: no sanitizer engine")
	case opts.Quarantine == nil:
		return nil, errors.New("transfer: no quarantine")
	case opts.DB == nil:
		return nil, errors.New("transfer: no database")
	case (opts.Held == nil) != (opts.Mailer == nil):
		return nil, errors.New("transfer: held-item pages need both the links and a mailer")
	}
	opts = opts.withDefaults()
	if opts.PlainHTTP {
		for _, a := range []string{opts.UploadAddr, opts.DownloadAddr} {
			if !isLoopback(a) {
				return nil, fmt.Errorf("transfer: plain HTTP is only allowed on a loopback address, not %q; configure TLS or let mugai generate a certificate", a)
			}
		}
	}
	if (opts.TLSCertFile == "") != (opts.TLSKeyFile == "") {
		return nil, errors.New("transfer: set both the TLS certificate and key files, or neither")
	}
	incoming := filepath.Join(opts.DataDir, "transfer", "incoming")
	s := &Server{
		opts:      opts,
		log:       opts.Logger.With("service", "transfer"),
		metrics:   opts.Metrics,
		db:        opts.DB,
		eng:       opts.Engine,
		q:         opts.Quarantine,
		incoming:  incoming,
		durable:   fsutil.NewFileSystemSync(incoming),
		outputs:   opts.Outputs,
		heldFiles: opts.HeldFiles,
		limiter:   &auth.Limiter{Burst: opts.LoginBurst, Every: opts.LoginEvery, Now: opts.Now},
		jobs:      make(chan job, 10_000),
	}
	if err := os.MkdirAll(s.incoming, 0o700); err != nil {
		return nil, fmt.Errorf("transfer: %w", err)
	}
	for _, b := range []struct {
		blobs  *store.Blobs
		folder string
	}{{&s.outputs, "outputs"}, {&s.heldFiles, "held"}} {
		if *b.blobs == nil {
			f, err := store.NewFolder(filepath.Join(opts.DataDir, "transfer", b.folder))
			if err != nil {
				return nil, fmt.Errorf("transfer: %w", err)
			}
			*b.blobs = f
		}
	}
	// Uploads cut off by a stop were never accepted.
	parts, _ := filepath.Glob(filepath.Join(s.incoming, "*.part"))
	for _, p := range parts {
		os.Remove(p)
	}
	ctx := context.Background()
	var err error
	if s.users, err = auth.NewLocal(ctx, s.db, opts.Auth); err != nil {
		return nil, err
	}
	if err := s.db.Migrate(ctx, transferSchema); err != nil {
		return nil, fmt.Errorf("transfer: %w", err)
	}
	if s.tmpl, err = parseTemplates(); err != nil {
		return nil, err
	}
	if s.audit, err = audit.New(ctx, s.db, filepath.Join(opts.DataDir, "audit", "transfer.jsonl")); err != nil {
		return nil, err
	}
	return s, nil
}

// Users is the local account store, for administration.
func (s *Server) Users() *auth.Local { return s.users }

// Audit is the audit trail.
func (s *Server) Audit() *audit.Log { return s.audit }

// ListenAndServe listens on UploadAddr and DownloadAddr and serves until
// ctx is done (then it shuts down) or a listener fails.
func (s *Server) ListenAndServe(ctx context.Context) error {
	up, err := net.Listen("tcp", s.opts.UploadAddr)
	if err != nil {
		return fmt.Errorf("transfer: upload site: %w", err)
	}
	down, err := net.Listen("tcp", s.opts.DownloadAddr)
	if err != nil {
		up.Close()
		return fmt.Errorf("transfer: download site: %w", err)
	}
	return s.Serve(ctx, up, down)
}

// Serve serves the upload site on up and the download site on down
// (with TLS unless PlainHTTP), starts the sanitizing workers and the
// purge job, and returns when ctx is done or a site fails. Plain HTTP is
// refused on a listener that is not on a loopback address.
func (s *Server) Serve(ctx context.Context, up, down net.Listener) error {
	var tlsConf *tls.Config
	if !s.opts.PlainHTTP {
		c, err := s.tlsConfig()
		if err != nil {
			up.Close()
			down.Close()
			return err
		}
		tlsConf = c
	} else if !isLoopback(up.Addr().String()) || !isLoopback(down.Addr().String()) {
		up.Close()
		down.Close()
		return errors.New("transfer: plain HTTP is only allowed on loopback addresses")
	}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	upSrv := s.newHTTPServer(s.uploadRoutes(), tlsConf)
	downSrv := s.newHTTPServer(s.downloadRoutes(), tlsConf)
	s.mu.Lock()
	if s.shutdown {
		s.mu.Unlock()
		cancel()
		return http.ErrServerClosed
	}
	s.stop = cancel
	s.servers = []*http.Server{upSrv, downSrv}
	s.mu.Unlock()

	s.startWorkers(wctx)
	go s.purgeLoop(wctx)
	errc := make(chan error, 2)
	serve := func(srv *http.Server, l net.Listener) {
		if tlsConf != nil {
			l = tls.NewListener(l, tlsConf)
		}
		errc <- srv.Serve(l)
	}
	go serve(upSrv, up)
	go serve(downSrv, down)
	s.log.Info("transfer sites listening", "upload", up.Addr().String(), "download", down.Addr().String(), "tls", tlsConf != nil)
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer scancel()
	s.Shutdown(sctx)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Shutdown stops accepting requests, lets running ones finish until ctx
// is done, stops the workers (an item being sanitized is picked up
// again at the next start) and closes the audit trail's file.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.shutdown {
		s.mu.Unlock()
		return nil
	}
	s.shutdown = true
	servers, stop := s.servers, s.stop
	s.mu.Unlock()
	var errs []error
	for _, srv := range servers {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, err)
			srv.Close()
		}
	}
	if stop != nil {
		stop()
	}
	s.workers.Wait()
	s.audit.Close()
	return errors.Join(errs...)
}

func (s *Server) newHTTPServer(h http.Handler, c *tls.Config) *http.Server {
	srv := &http.Server{
		Handler:           h,
		TLSConfig:         c,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	// Event streams never go idle: end them, or Shutdown waits for ever.
	srv.RegisterOnShutdown(s.hub.close)
	return srv
}

// isLoopback reports whether a host:port names a loopback address.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
