package smtpproxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/mugai-project/mugai/internal/ids"
	"github.com/mugai-project/mugai/internal/meta"
)

// The JetStream names of the relay's work (doc.go, "Scale-out").
const (
	jobStream   = "MUGAI_JOBS"          // the work queue
	jobSubject  = "mugai.jobs.sanitize" // a sanitize job a message, a delivery job a DSN or site mail (jobspool.go)
	jobConsumer = "sanitize"            // the one durable consumer every node pulls from
	triesBucket = "mugai-tries"         // processing starts that never returned (tries.go)
	nodesBucket = "mugai-nodes"         // the nodes' heartbeats (nodes.go)
)

// errBacklog answers MAIL while the sanitize jobs waiting are over
// Options.MaxPending (RFC 3463 4.3.2: system not accepting network
// messages).
var errBacklog = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Too much mail waiting, try again later"}

// jobQueue is the relay's work on JetStream: what Data stores and
// publishes, what the workers pull, and the jobs this node holds until
// their messages' outcomes are final.
type jobQueue struct {
	js    jetstream.JetStream
	spool *chunkSpool // the accepted messages (jobspool.go)
	cons  jetstream.Consumer
	tries *kvTries
	back  *handedBack // handback.go
	nodes jetstream.KeyValue
	log   *slog.Logger
	m     *Metrics
	dir   string // spool/jobs: a marker per job held here
	opts  *Options

	slots chan struct{} // one per job held here, at most JobsHeld
	// unsanitized has one per sanitize job held here whose message is
	// not yet sanitized, at most ProcessWorkers: a node takes no more
	// messages than it can start on, and leaves the rest in the queue
	// for a node with a free worker (tosanitize holds their IDs).
	unsanitized chan struct{}

	mu         sync.Mutex
	held       map[string]jetstream.Msg // message ID → the job's latest delivery
	tosanitize map[string]bool

	pendMu   sync.Mutex
	pendAt   time.Time
	pendOver bool

	stopKeep chan struct{} // closed by release: no more in-progress acks
	once     sync.Once
	started  time.Time
}

// openJobs binds to the streams, buckets and consumer, creating those
// missing with Options.Replicas (the first node to start creates them;
// none is changed once made, so that a node starting while a NATS
// server is down needs no stream update), and forgets what this node
// held before a crash: JetStream redelivers those jobs.
func openJobs(o *Options, dir string, local *outbox, incoming string) (*jobQueue, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	q := &jobQueue{
		js: o.JetStream, log: o.Logger, m: o.Metrics, dir: dir, opts: o, held: map[string]jetstream.Msg{}, tosanitize: map[string]bool{},
		slots: make(chan struct{}, o.JobsHeld), unsanitized: make(chan struct{}, min(o.ProcessWorkers, o.JobsHeld)),
		stopKeep: make(chan struct{}), started: time.Now().UTC(),
	}
	r, js := o.Replicas, q.js
	var err error
	if _, err = bindOrCreate(ctx, jobStream, jetstream.ErrStreamNotFound,
		func(ctx context.Context) (jetstream.Stream, error) { return js.Stream(ctx, jobStream) },
		func(ctx context.Context) (jetstream.Stream, error) {
			return js.CreateStream(ctx, jetstream.StreamConfig{
				Name: jobStream, Subjects: []string{jobSubject}, Retention: jetstream.WorkQueuePolicy,
				Storage: jetstream.FileStorage, Replicas: r, Duplicates: 2 * time.Minute,
				Description: "mugai: a sanitize job for every accepted message, a delivery job for every mail mugai made",
			})
		}); err != nil {
		return nil, err
	}
	// MaxDeliver is unlimited: a job past its MaxDeliver would stay in
	// the stream and never be handed out again, an accepted message
	// stalled for good. A job that keeps killing its workers is
	// withheld by the tries count instead (tries.go).
	if q.cons, err = bindOrCreate(ctx, jobConsumer, jetstream.ErrConsumerNotFound,
		func(ctx context.Context) (jetstream.Consumer, error) { return js.Consumer(ctx, jobStream, jobConsumer) },
		func(ctx context.Context) (jetstream.Consumer, error) {
			return js.CreateConsumer(ctx, jobStream, jetstream.ConsumerConfig{
				Durable: jobConsumer, AckPolicy: jetstream.AckExplicitPolicy, AckWait: o.JobAckWait,
				MaxDeliver: -1, MaxAckPending: 10000, FilterSubject: jobSubject,
			})
		}); err != nil {
		return nil, err
	}
	ss, err := bindOrCreate(ctx, spoolStream, jetstream.ErrStreamNotFound,
		func(ctx context.Context) (jetstream.Stream, error) { return js.Stream(ctx, spoolStream) },
		func(ctx context.Context) (jetstream.Stream, error) {
			return js.CreateStream(ctx, jetstream.StreamConfig{
				Name: spoolStream, Subjects: []string{spoolSubject + ">"}, Storage: jetstream.FileStorage, Replicas: r,
				Description: "mugai: accepted messages and the mails mugai made, in chunks, until their outcome is final",
			})
		})
	if err != nil {
		return nil, err
	}
	q.spool = &chunkSpool{s: ss}
	if q.tries, err = openTries(ctx, js, r); err != nil {
		return nil, err
	}
	if q.nodes, err = bucket(ctx, js, jetstream.KeyValueConfig{
		Bucket: nodesBucket, Replicas: r, TTL: nodeTTL, Description: "mugai: the nodes' heartbeats",
	}); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	// What a job left here belongs to JetStream again: the job was not
	// acknowledged, and it is redelivered, to this node or another.
	left, _ := listIDs(dir)
	for _, id := range left {
		os.Remove(filepath.Join(incoming, id))
		local.remove(id)
		os.Remove(filepath.Join(dir, id))
	}
	if len(left) > 0 {
		q.log.Info("jobs: forgot the jobs held before the last stop; JetStream hands them out again", "count", len(left))
	}
	// Last: the watch runs until release.
	if q.back, err = watchHandedBack(ctx, q.tries.kv); err != nil {
		return nil, err
	}
	return q, nil
}

// bindOrCreate binds to a JetStream stream, consumer or bucket, and
// creates it when bind says notFound; a node that lost the race to
// create it binds again. Each try has bindTimeout, and a try that
// goes unanswered is made again until ctx ends: while a NATS server
// restarts, a request may get no answer until the stream's leader is
// elected.
func bindOrCreate[T any](ctx context.Context, name string, notFound error, bind, create func(context.Context) (T, error)) (T, error) {
	for {
		tctx, cancel := context.WithTimeout(ctx, bindTimeout)
		v, err := bind(tctx)
		if errors.Is(err, notFound) {
			if v, err = create(tctx); err != nil {
				if w, berr := bind(tctx); berr == nil {
					v, err = w, nil
				}
			}
		}
		cancel()
		if err == nil {
			return v, nil
		}
		// JetStream's own answer (too few servers for the replicas, a
		// different stream under the name) is final.
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) || !sleepCtx(ctx, time.Second) {
			return v, fmt.Errorf("%s: %w", name, err)
		}
	}
}

// bindTimeout bounds one try of bindOrCreate.
const bindTimeout = 10 * time.Second

// bucket binds to the key-value bucket of cfg, creating it if missing.
func bucket(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	return bindOrCreate(ctx, cfg.Bucket, jetstream.ErrBucketNotFound,
		func(ctx context.Context) (jetstream.KeyValue, error) { return js.KeyValue(ctx, cfg.Bucket) },
		func(ctx context.Context) (jetstream.KeyValue, error) { return js.CreateKeyValue(ctx, cfg) })
}

// publish stores the spool file sw wrote, then publishes its job with
// the message ID as Nats-Msg-Id, and returns when JetStream has
// acknowledged both; only then may Data answer 250. On an error the
// stored message is deleted again where it can be: a job whose message
// is missing is recognized and dropped (take).
func (q *jobQueue) publish(sw *spoolWrite) error {
	// The local file is only the buffer (written unbuffered, never
	// synced): JetStream's acknowledgement is what makes it durable.
	defer sw.abort()
	if _, err := sw.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return q.enqueue(context.Background(), sw.env.ID, "", sw.f)
}

// enqueue stores content as id's chunks, then publishes its job of
// kind with id as Nats-Msg-Id, and returns when JetStream has
// acknowledged both. A job JetStream has already (the same ID queued
// again within the stream's duplicates window) is not queued twice:
// the chunks just stored are deleted again, as they are when storing
// fails, and only they: the job there reads the chunks it was
// published with.
//
// When publishing the job fails, JetStream may still have it (the
// acknowledgement was lost): the chunks of an entry stay, for that job
// or for the next try under the same ID (finish tries again; they go
// when the job is done), while those of an accepted message go (the
// client got 451, and a job without its message is dropped).
func (q *jobQueue) enqueue(ctx context.Context, id, kind string, content io.Reader) error {
	ctx, cancel := context.WithTimeout(ctx, q.opts.PublishTimeout)
	defer cancel()
	dctx, dcancel := context.WithTimeout(context.WithoutCancel(ctx), q.opts.PublishTimeout)
	defer dcancel()
	seqs, err := q.spool.put(ctx, q.js, id, content)
	if err != nil {
		q.spool.forget(dctx, seqs)
		if kind == "" {
			// A chunk whose acknowledgement was lost: an accepted
			// message is stored under its ID only once.
			q.spool.drop(dctx, id)
		}
		return fmt.Errorf("storing %s in JetStream: %w", id, err)
	}
	data, _ := json.Marshal(job{ID: id, Kind: kind, Chunks: seqs})
	ack, err := q.js.Publish(ctx, jobSubject, data, jetstream.WithMsgID(id))
	switch {
	case err != nil:
		if kind == "" {
			q.spool.drop(dctx, id)
		}
		return fmt.Errorf("publishing the job of %s: %w", id, err)
	case ack.Duplicate:
		q.spool.forget(dctx, seqs)
	}
	return nil
}

// readTimeout bounds reading one job's message.
const readTimeout = 30 * time.Second

// backlogged reports whether more sanitize jobs wait than MaxPending,
// asking JetStream at most every PendingCheck. A JetStream that does
// not answer is not a backlog: Data then fails with 451 4.3.0 anyway.
func (q *jobQueue) backlogged() bool {
	q.pendMu.Lock()
	defer q.pendMu.Unlock()
	if !q.pendAt.IsZero() && time.Since(q.pendAt) < q.opts.PendingCheck {
		return q.pendOver
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	info, err := q.cons.Info(ctx)
	q.pendAt = time.Now()
	q.pendOver = err == nil && info.NumPending > uint64(q.opts.MaxPending)
	q.m.QueueDepth.WithLabelValues("jobs").Set(float64(pendingOf(info, err)))
	return q.pendOver
}

func pendingOf(info *jetstream.ConsumerInfo, err error) uint64 {
	if err != nil {
		return 0
	}
	return info.NumPending
}

// pullJobs takes jobs while the relay runs, as many as there are free
// slots of JobsHeld and free process workers (a job may be a sanitize
// job), and hands each to take.
func (r *Relay) pullJobs() {
	defer r.wg.Done()
	q := r.jobs
	for {
		select {
		case q.slots <- struct{}{}:
		case <-r.ctx.Done():
			return
		}
		select {
		case q.unsanitized <- struct{}{}:
		case <-r.ctx.Done():
			return
		}
		n := 1
	more:
		for n < cap(q.slots) {
			select {
			case q.slots <- struct{}{}:
			default:
				break more
			}
			select {
			case q.unsanitized <- struct{}{}:
				n++
			default:
				<-q.slots
				break more
			}
		}
		fctx, cancel := context.WithTimeout(r.ctx, fetchWait)
		batch, err := q.cons.Fetch(n, jetstream.FetchContext(fctx))
		kept, sanitizing := 0, 0
		if err == nil {
			for msg := range batch.Messages() {
				switch r.takeJob(msg) {
				case heldToSanitize:
					sanitizing++
					kept++
				case heldToDeliver:
					kept++
				}
			}
			err = batch.Error()
		}
		cancel()
		for range n - kept {
			<-q.slots
		}
		for range n - sanitizing {
			<-q.unsanitized
		}
		if err != nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) && r.ctx.Err() == nil {
			r.log.Warn("jobs: fetching", "err", err)
			sleepCtx(r.ctx, time.Second)
		}
	}
}

// taken is what takeJob made of a job: which slots it holds.
type taken int

const (
	notHeld        taken = iota // dropped, or here already under its first slot
	heldToSanitize              // a slot of JobsHeld and one of the process workers'
	heldToDeliver               // a slot of JobsHeld
)

// fetchWait is how long one pull waits for a job.
const fetchWait = 5 * time.Second

// takeJob makes a job's message a spool file of this node and hands it
// to the workers; the job stays unacknowledged until done. It reports
// which slots the job holds.
func (r *Relay) takeJob(msg jetstream.Msg) taken {
	q := r.jobs
	q.m.JobsTaken.Inc()
	j, err := parseJob(msg.Data())
	if err != nil {
		r.log.Error("jobs: not a job; dropped", "err", err)
		msg.Term()
		return notHeld
	}
	id := j.ID
	if q.heldBefore(msg, id) { // handback.go
		q.m.JobsRedelivered.Inc()
	}
	log := r.log.With("item_id", id)
	take, wake, held := r.materialize, r.wakeProcess, heldToSanitize
	if j.Kind == jobDeliver {
		take, wake, held = r.materializeEntry, r.queueDeliver, heldToDeliver
	}
	q.mu.Lock()
	_, again := q.held[id]
	q.held[id] = msg // acknowledge the latest delivery
	if !again && held == heldToSanitize {
		// Before the spool file exists: the scanner may hand it to a
		// worker, which may finish it, before take returns.
		q.tosanitize[id] = true
	}
	q.mu.Unlock()
	if again {
		return notHeld // already here, under its first slot
	}
	done, err := r.settled(j) // deleted.go
	if done {
		log.Info("jobs: deleted by an administrator or finished before; job acknowledged")
		r.jobDone(r.ctx, id) // frees the slots it holds
		return held
	}
	if err == nil {
		err = take(j)
	}
	if err != nil {
		q.mu.Lock()
		delete(q.held, id)
		delete(q.tosanitize, id)
		q.mu.Unlock()
		if errors.Is(err, errChunkMissing) {
			r.dropOrphan(msg, j)
			return notHeld
		}
		log.Error("jobs: reading the job's row or message; retried later", "err", err)
		msg.NakWithDelay(5 * time.Second)
		return notHeld
	}
	wake(id)
	return held
}

// sanitized frees the process worker's slot of id's job, if this node
// holds one: its message is sanitized (in the outbox), or its job done.
func (q *jobQueue) sanitized(id string) {
	q.mu.Lock()
	was := q.tosanitize[id]
	delete(q.tosanitize, id)
	q.mu.Unlock()
	if was {
		<-q.unsanitized
	}
}

// materialize writes the stored message into spool/incoming, marked as
// held for a job. It is not fsynced: JetStream keeps the message, and
// what a crash leaves here is forgotten at the next start (openJobs).
func (r *Relay) materialize(j job) error {
	id := j.ID
	if err := r.jobs.mark(id); err != nil {
		return err
	}
	in := filepath.Join(r.spool.incoming(), id)
	if _, err := os.Stat(in); err == nil || r.outbox.exists(id) {
		return nil
	}
	ctx, cancel := context.WithTimeout(r.ctx, readTimeout)
	defer cancel()
	tmp := filepath.Join(r.spool.tmp(), id+"."+ids.Token())
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	err = r.jobs.spool.copyTo(ctx, f, j)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, in)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// mark notes in spool/jobs that what this node has of id is a job's.
func (q *jobQueue) mark(id string) error {
	return os.WriteFile(filepath.Join(q.dir, id), nil, 0o600)
}

// dropOrphan handles a job whose message is not stored: its message was
// finished by a node that died before acknowledging the job (the row
// has its final state), or the job outlived a failed accept (no row:
// the client got 451 and sends again). Either way nothing is lost. A
// delivery job's entry is deleted only once the job is acknowledged,
// or when queueing it failed (and its maker was told): it is dropped.
func (r *Relay) dropOrphan(msg jetstream.Msg, j job) {
	ctx, cancel := context.WithTimeout(r.ctx, bookkeepingTimeout)
	defer cancel()
	id := j.ID
	if j.Kind == jobDeliver {
		r.log.Info("jobs: a delivery job whose entry is gone (delivered before); acknowledged", "item_id", id)
		msg.DoubleAck(ctx)
		return
	}
	m, err := r.meta.Message(ctx, id)
	switch {
	case err == nil && m.State != meta.Queued:
		r.log.Info("jobs: the message was finished before; job acknowledged", "item_id", id, "state", m.State)
		msg.DoubleAck(ctx)
	case errors.Is(err, meta.ErrNotFound):
		r.log.Warn("jobs: a job without its message (its accept failed); dropped", "item_id", id)
		msg.Term()
	default:
		r.log.Error("jobs: a job whose message is missing; taken again later", "item_id", id, "err", err)
		msg.NakWithDelay(time.Minute)
	}
}

// jobDone acknowledges the job of a message whose outcome is final and
// recorded (finish), then deletes the stored message.
func (r *Relay) jobDone(ctx context.Context, id string) {
	q := r.jobs
	if q == nil {
		return
	}
	q.mu.Lock()
	msg, ok := q.held[id]
	delete(q.held, id)
	q.mu.Unlock()
	if !ok {
		return
	}
	defer func() { <-q.slots }()
	q.sanitized(id)
	os.Remove(filepath.Join(q.dir, id))
	if err := msg.DoubleAck(ctx); err != nil {
		// Redelivered after AckWait: the next node finds every
		// recipient recorded and delivers nothing again.
		r.log.Warn("jobs: acknowledging failed; the job comes back and finds the message done", "item_id", id, "err", err)
		return
	}
	q.m.JobsAcked.Inc()
	if err := q.spool.drop(ctx, id); err != nil {
		r.log.Warn("jobs: deleting the stored message", "item_id", id, "err", err)
	}
}

// keepJobs tells JetStream every AckWait/3 that the jobs held here are
// in progress, until release: a sanitize or a delivery may take longer
// than AckWait, and a deferred delivery days. Those an administrator
// deleted meanwhile are acknowledged instead.
func (r *Relay) keepJobs() {
	q := r.jobs
	t := time.NewTicker(q.opts.JobAckWait / 3)
	defer t.Stop()
	for {
		select {
		case <-q.stopKeep:
			return
		case <-t.C:
		}
		q.mu.Lock()
		msgs := make([]jetstream.Msg, 0, len(q.held))
		ids := make([]string, 0, len(q.held))
		for id, m := range q.held {
			msgs, ids = append(msgs, m), append(ids, id)
		}
		q.mu.Unlock()
		for _, m := range msgs {
			m.InProgress()
		}
		r.releaseDeleted(ids) // deleted.go
	}
}

// release hands the jobs still held back to JetStream at shutdown, for
// another node to take at once, each marked as handed back first
// (handback.go); their local files are forgotten at the next start.
func (q *jobQueue) release() {
	q.once.Do(func() {
		close(q.stopKeep)
		q.back.stop()
		q.mu.Lock()
		defer q.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), kvTimeout)
		defer cancel()
		for id, m := range q.held {
			q.markHandedBack(ctx, id)
			m.Nak()
			delete(q.held, id)
		}
	})
}

// markRecorded sets the recipients the metadata database has a final
// result for, so that a job redone on another node after a crash
// delivers only to the others.
func (r *Relay) markRecorded(ctx context.Context, e *Entry) error {
	if r.jobs == nil {
		return nil
	}
	results, err := r.recorded(ctx, e.ID)
	if err != nil {
		return err
	}
	for _, rc := range e.Rcpts {
		if res, ok := results[rc.Addr]; ok && rc.Status == StatusPending {
			rc.Status, rc.Reply = res.status(), res.reply
		}
	}
	return nil
}

// recorded returns the first final result the metadata database has
// for each recipient of id.
func (r *Relay) recorded(ctx context.Context, id string) (map[string]result, error) {
	as, err := r.meta.Attempts(ctx, id)
	if err != nil {
		return nil, err
	}
	out := map[string]result{}
	for _, a := range as {
		if _, seen := out[a.Rcpt]; seen {
			continue
		}
		switch a.Result {
		case "delivered":
			out[a.Rcpt] = result{ok: true, reply: a.Reply}
		case "failed":
			out[a.Rcpt] = result{permanent: true, reply: a.Reply}
		}
	}
	return out, nil
}

// backlogged is the back-pressure check of MAIL.
func (r *Relay) backlogged() bool { return r.jobs != nil && r.jobs.backlogged() }
