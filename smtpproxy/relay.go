package smtpproxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/store"
	"github.com/mugai-project/mugai/sanitizer"
)

// Relay is the SMTP relay: the server, the spool, the sanitizing workers
// and the delivery queue. Create it with New, run it with Serve, stop it
// with Shutdown.
type Relay struct {
	opts       Options
	log        *slog.Logger
	engine     *sanitizer.Engine
	quarantine store.Quarantine
	meta       meta.Store
	spool      *spool
	outbox     *outbox
	jobs       *jobQueue  // nil on one node (jobs.go)
	tries      tryCounter // the spool's, or JetStream's with jobs
	allow      []netip.Prefix
	domains    map[string]bool

	server   *smtp.Server
	listener *limitListener
	closing  atomic.Bool

	procCh    chan string
	procBusy  sync.Map // id → struct{}: being processed
	delivWake chan struct{}
	// delivRescan asks the scheduler to read the whole outbox again;
	// delivFresh (under delivMu) are the entries queued since it last
	// looked (deliver.go).
	delivRescan atomic.Bool
	leaving     leaving // processed, waiting for the barrier (barrier.go)
	delivMu     sync.Mutex
	delivFresh  map[string]bool
	delivBusy   sync.Map // id → struct{}: being delivered
	sessions    sessionCache

	// spaceLow is the free space + 1 when a step last failed for lack
	// of it; 0: none waiting (space.go).
	spaceLow atomic.Int64

	ctx    context.Context // cancelled by Shutdown after the drain: no new work
	cancel context.CancelFunc
	// abort is cancelled when Shutdown stops waiting for the work under
	// way: it cuts delivery attempts still running.
	abort     context.Context
	abortStop context.CancelFunc
	wg        sync.WaitGroup
}

// New prepares a relay: it creates the data folders and recovers what a
// crash left. The engine, the quarantine q and the metadata database db
// are required and stay the caller's; Relay closes none of them.
func New(opts Options, engine *sanitizer.Engine, q store.Quarantine, db meta.Store) (*Relay, error) {
	switch {
	case engine == nil:
		return nil, errors.New("smtpproxy: no sanitizer engine")
	case q == nil:
		return nil, errors.New("smtpproxy: no quarantine")
	case db == nil:
		return nil, errors.New("smtpproxy: no metadata database")
	}
	o := opts.withDefaults()
	allow, err := ParseNets(o.AllowNets)
	if err != nil {
		return nil, fmt.Errorf("smtpproxy: allow_nets: %w", err)
	}
	r := &Relay{
		opts: o, log: o.Logger, engine: engine, quarantine: q, meta: db, allow: allow,
		domains: map[string]bool{}, procCh: make(chan string, 4096), delivWake: make(chan struct{}, 1),
		leaving: leaving{wake: make(chan struct{}, 1)},
		spool:   &spool{dir: o.spoolDir(), hooks: &o.hooks}, sessions: sessionCache{max: o.DeliverWorkers},
	}
	for _, d := range o.Domains {
		r.domains[d] = true
	}
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("smtpproxy: %w", err)
	}
	if err := r.spool.init(); err != nil {
		return nil, fmt.Errorf("smtpproxy: spool: %w", err)
	}
	if r.outbox, err = openOutbox(o.outboxDir()); err != nil {
		return nil, fmt.Errorf("smtpproxy: outbox: %w", err)
	}
	r.spool.durable = r.outbox.durable // one barrier for the data folder (barrier.go)
	r.tries = r.spool
	if o.JetStream != nil {
		if r.jobs, err = openJobs(&r.opts, r.spool.jobs(), r.outbox, r.spool.incoming()); err != nil {
			return nil, fmt.Errorf("smtpproxy: JetStream: %w", err)
		}
		r.spool.publish, r.tries = r.jobs.publish, r.jobs.tries
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.abort, r.abortStop = context.WithCancel(context.Background())
	return r, nil
}

// Meta returns the metadata database.
func (r *Relay) Meta() meta.Store { return r.meta }

func (r *Relay) servesDomain(d string) bool { return r.domains[d] }

// Listen opens the SMTP listener; Addr then reports it (":0" picks a
// free port, for tests).
func (r *Relay) Listen() error {
	l, err := net.Listen("tcp", r.opts.Listen)
	if err != nil {
		return fmt.Errorf("smtpproxy: %w", err)
	}
	tlsConf, err := r.loadTLS()
	if err != nil {
		l.Close()
		return fmt.Errorf("smtpproxy: TLS: %w", err)
	}
	bridge, err := newTLSBridge(tlsConf)
	if err != nil {
		l.Close()
		return fmt.Errorf("smtpproxy: TLS: %w", err)
	}
	s := smtp.NewServer(smtp.BackendFunc(r.newSession))
	s.Domain = r.opts.Hostname
	s.TLSConfig = bridge.inner // go-smtp's side of STARTTLS (tlsbridge.go)
	s.MaxMessageBytes = r.opts.MaxMessageBytes
	// MaxRecipients is the session's to enforce (452 4.5.3), so that
	// every RCPT reaches it and is not counted as junk (wirewatch.go).
	s.MaxLineLength = r.opts.MaxLineLength
	s.ReadTimeout = r.opts.CommandTimeout
	s.WriteTimeout = r.opts.WriteTimeout
	s.EnableSMTPUTF8 = true
	s.ErrorLog = slogPrintf{r.log}
	r.server = s
	r.listener = newLimitListener(l, &r.opts, r.allow, bridge)
	return nil
}

// Addr is the SMTP listener's address, after Listen.
func (r *Relay) Addr() net.Addr { return r.listener.Listener.Addr() }

// Serve runs the relay until Shutdown: it starts the workers, recovers
// the spool and the outbox, and serves SMTP. It calls Listen if needed.
func (r *Relay) Serve() error {
	if r.server == nil {
		if err := r.Listen(); err != nil {
			return err
		}
	}
	r.Start()
	r.log.Info("smtp: listening", "addr", r.Addr().String(), "domains", r.opts.Domains, "downstream", r.opts.Downstream.Addr)
	err := r.server.Serve(r.listener)
	if errors.Is(err, smtp.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// Start starts the processing and delivery workers without the SMTP
// server (the server's Serve calls it).
func (r *Relay) Start() {
	for range r.opts.ProcessWorkers {
		r.wg.Add(1)
		go r.processWorker()
	}
	r.wg.Add(4)
	go r.processScanner()
	go r.reaper()
	go r.deliverScheduler()
	go r.every(spacePoll, r.spaceBack) // space.go
	if r.jobs != nil {
		r.wg.Add(3)
		go r.pullJobs()
		go r.beatJobs()
		go r.every(r.opts.SpoolSweep, r.sweepSpool) // spoolsweep.go
		go r.keepJobs()                             // until Shutdown hands the jobs back
	}
}

// Shutdown stops accepting (new connections get 421), waits up to
// DrainTimeout or ctx for sessions to end, then closes the rest (a
// message not yet acknowledged is not accepted and the sender retries).
// It then stops the workers: sanitizing is cut at once (it is redone at
// the next start, and the cut is not counted as a crash), delivery
// attempts under way get another DrainTimeout to finish before they are
// cut, and every step's records are written under their own bounded
// context. Whatever is left stays in the spool and outbox for the next
// start.
func (r *Relay) Shutdown(ctx context.Context) error {
	r.closing.Store(true)
	defer r.sessions.closeAll()
	var err error
	if r.server != nil {
		dctx, cancel := context.WithTimeout(ctx, r.opts.DrainTimeout)
		err = r.server.Shutdown(dctx)
		cancel()
		if err != nil {
			r.server.Close()
			err = nil
		}
		r.listener.stop()
	}
	r.cancel()
	if r.jobs != nil {
		// After the drain: a job is handed back only once its work
		// here has stopped.
		defer r.jobs.release()
	}
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	drain := time.NewTimer(r.opts.DrainTimeout)
	defer drain.Stop()
	select {
	case <-done:
		r.abortStop()
		return err
	case <-drain.C:
	case <-ctx.Done():
	}
	r.abortStop()
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	return err
}

// slogPrintf adapts the logger to go-smtp's.
type slogPrintf struct{ l *slog.Logger }

func (s slogPrintf) Printf(format string, v ...any) { s.l.Warn("smtp: " + fmt.Sprintf(format, v...)) }
func (s slogPrintf) Println(v ...any)               { s.l.Warn("smtp: " + fmt.Sprint(v...)) }

// bookkeepingTimeout bounds the records written after a step (database
// rows, state files), which must not be cut by the shutdown that may
// have cancelled the step itself.
const bookkeepingTimeout = 30 * time.Second

// bookkeeping is the context for the records after a step done under
// ctx: not cancelled with ctx, bounded by bookkeepingTimeout.
func bookkeeping(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), bookkeepingTimeout)
}

// every runs fn every d until the relay stops.
func (r *Relay) every(d time.Duration, fn func()) {
	defer r.wg.Done()
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
