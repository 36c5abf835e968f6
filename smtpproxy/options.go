package smtpproxy

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/mugai-project/mugai/sanitizer"
)

// Options configure a Relay. The zero value is a working relay on :2525
// with data in ./data, delivering into a Maildir, accepting mail only for
// the test domains "localhost" and "localhost.localdomain".
type Options struct {
	// DataDir holds spool, outbox, quarantine, maildir and the TLS key.
	DataDir string

	// Listen is the SMTP address; default ":2525".
	Listen string
	// Hostname is our name in the greeting and Received: headers;
	// default os.Hostname().
	Hostname string
	// Domains are the LGWAN recipient domains. Any other recipient gets
	// 550 5.7.1. Default: localhost and localhost.localdomain only, so an
	// unconfigured relay cannot relay real mail anywhere.
	Domains []string
	// AllowNets, if not empty, are the only client networks (CIDR or
	// single IPs) allowed to connect: the upstream MTA.
	AllowNets []string

	MaxMessageBytes     int64         // default 25 MiB
	MaxRecipients       int           // default 100
	MaxLineLength       int           // default 2000 (RFC 5321 4.5.3.1.6 doubled)
	CommandTimeout      time.Duration // wait for each command line; default 5m (RFC 5321 4.5.3.2.7)
	DataTimeout         time.Duration // whole DATA transfer; default 10m
	WriteTimeout        time.Duration // default 1m
	MaxConnections      int           // default 200
	MaxConnectionsPerIP int           // default 20
	// MaxJunkCommands is how many commands that do not advance a
	// transaction (NOOP, RSET, VRFY, HELP, EHLO) a session may send
	// between messages before it is closed with 421;
	// default 20 (Postfix: smtpd_junk_command_limit).
	MaxJunkCommands int
	// MinFree is the free space, in bytes, the spool's file system must
	// keep: below it new mail gets 452 4.3.1 (Postfix's queue_minfree).
	// Default 1.5 × MaxMessageBytes + 100 MiB.
	MinFree int64

	// TLSCert and TLSKey are PEM files for STARTTLS. When empty a
	// self-signed certificate is generated into DataDir/tls.
	TLSCert, TLSKey string
	// TLSConfig, if set, is used as is (tests).
	TLSConfig *tls.Config

	// ProcessWorkers sanitize messages in parallel; default 16. More
	// than the cores: a message waits on the data folder's barrier
	// as long as it takes to sanitize a plain one. What costs more does
	// not grow with them: the PDF renderer and PDF sandbox have a pool
	// each, and the tools under bubblewrap (LibreOffice, tesseract)
	// run as many at once as there are cores (internal/bwrap).
	ProcessWorkers int
	// ProcessTimeout bounds sanitizing one message; default 5m.
	ProcessTimeout time.Duration
	// Retention is how long originals are kept; default 180 days.
	Retention time.Duration
	// PolicyFor, if set, chooses the sanitizer policy of a message by
	// its recipients (by their domains; nil: the engine's).
	PolicyFor func(rcpts []string) *sanitizer.Policy

	// Downstream is the LGWAN MTA, host:port. Empty: deliver into
	// DataDir/maildir/<recipient>/.
	Downstream Remote
	// ReturnPath is the Internet-side smarthost that carries DSNs back
	// to senders. Empty: DSNs stay in the outbox as failed.
	ReturnPath Remote

	DeliverWorkers int           // deliveries at once; default 16 (Postfix: 20 a destination)
	RetryInitial   time.Duration // first retry delay; default 1m, doubling
	RetryMax       time.Duration // longest retry delay; default 1h
	QueueLifetime  time.Duration // give up and bounce after; default 5 days (120h)
	// ScanInterval is how often the outbox folder is read again for
	// entries changed from outside (mugai queue retry); default 30s.
	ScanInterval time.Duration
	// DrainTimeout bounds graceful shutdown; default 30s.
	DrainTimeout time.Duration

	// HeldLink, if set, gives the link to the download site's page of
	// a withheld message (internal/held), for the notice sent instead.
	HeldLink func(id string) string
	// FollowUps, if set, is told of each message with an encrypted part
	// held and shown each sanitized message, so that the password a
	// sender mails after a PPAP zip can be offered to its recipient
	// ([process] password_from_follow_up; internal/held.Hints).
	FollowUps FollowUps

	// JetStream, if set, is the NATS JetStream cluster that keeps the
	// accepted messages and their sanitize jobs, which every node's
	// workers take (jobs.go); nil keeps them in the spool folder.
	JetStream jetstream.JetStream
	// Replicas is how many JetStream servers keep each stream and
	// bucket; default 3.
	Replicas int
	// MaxPending is how many sanitize jobs may wait, not yet taken by
	// any node, before MAIL gets 451 4.3.2; default 5000.
	MaxPending int
	// PendingCheck is how long a count of the waiting jobs is used
	// before JetStream is asked again; default 1s (tests: 1ns).
	PendingCheck time.Duration
	// JobAckWait is how long a job taken by a node that stops
	// answering waits before JetStream hands it to another; default
	// 30s. A node holding a job says so every JobAckWait/3.
	JobAckWait time.Duration
	// PublishTimeout bounds storing one accepted message and its job in
	// JetStream, after which DATA gets 451 4.3.0; default 30s.
	PublishTimeout time.Duration
	// JobsHeld is how many jobs one node holds at once (sanitizing,
	// delivering, or waiting to retry a delivery); default 4 ×
	// ProcessWorkers. Of them at most ProcessWorkers are messages not
	// yet sanitized: a node takes a sanitize job only when a worker can
	// start on it, and leaves the others in the queue.
	JobsHeld int
	// NodeName and NodeRole are this node in the cluster's heartbeats;
	// default the host name, and "all".
	NodeName, NodeRole string
	// SpoolSweep is how often the chunks no job needs, stored more than
	// SpoolLeftoverAge ago, are purged from MUGAI_SPOOL (spoolsweep.go);
	// default 1h and 7 days.
	SpoolSweep, SpoolLeftoverAge time.Duration
	// Lead, if set, runs each such sweep on one node of the cluster at
	// a time and returns without running it when another node holds
	// the sweep (meta.DB.Lead); nil sweeps on every node.
	Lead func(ctx context.Context, sweep func(context.Context) error) error

	Logger  *slog.Logger // default slog.Default()
	Metrics *Metrics     // default: a private registry

	// hooks are fault-injection seams for tests.
	hooks hooks
}

// Remote is an SMTP peer for outgoing mail.
type Remote struct {
	Addr               string // host:port; empty disables
	StartTLS           bool   // require STARTTLS
	InsecureSkipVerify bool   // accept any certificate (test and closed networks)
	Username           string // AUTH PLAIN, only over TLS
	Password           string
	// Timeout bounds one delivery attempt; default 5m.
	Timeout time.Duration
}

// hooks let tests inject faults where a real one is hard to make.
type hooks struct {
	// spoolWriter wraps the spool file writer (disk-full test).
	spoolWriter func(w io.Writer) io.Writer
	// sanitize, if set, replaces the engine call (panic test).
	sanitizeHook func(ctx context.Context)
}

// DefaultDomains are the recipient domains of an unconfigured relay.
var DefaultDomains = []string{"localhost", "localhost.localdomain"}

func (o Options) withDefaults() Options {
	if o.DataDir == "" {
		o.DataDir = "data"
	}
	if o.Listen == "" {
		o.Listen = ":2525"
	}
	if o.Hostname == "" {
		o.Hostname, _ = os.Hostname()
		if o.Hostname == "" {
			o.Hostname = "localhost"
		}
	}
	if len(o.Domains) == 0 {
		o.Domains = DefaultDomains
	}
	ds := make([]string, 0, len(o.Domains))
	for _, d := range o.Domains {
		ds = append(ds, strings.ToLower(strings.TrimSuffix(strings.TrimSpace(d), ".")))
	}
	o.Domains = ds
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	defi := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = 25 << 20
	}
	if o.MinFree <= 0 {
		o.MinFree = o.MaxMessageBytes*3/2 + 100<<20
	}
	defi(&o.MaxRecipients, 100)
	defi(&o.MaxJunkCommands, 20)
	defi(&o.MaxLineLength, 2000)
	def(&o.CommandTimeout, 5*time.Minute)
	def(&o.DataTimeout, 10*time.Minute)
	def(&o.WriteTimeout, time.Minute)
	defi(&o.MaxConnections, 200)
	defi(&o.MaxConnectionsPerIP, 20)
	defi(&o.ProcessWorkers, 16)
	def(&o.ProcessTimeout, 5*time.Minute)
	def(&o.Retention, 180*24*time.Hour)
	defi(&o.DeliverWorkers, 16)
	def(&o.RetryInitial, time.Minute)
	def(&o.RetryMax, time.Hour)
	def(&o.QueueLifetime, 5*24*time.Hour)
	def(&o.ScanInterval, 30*time.Second)
	def(&o.DrainTimeout, 30*time.Second)
	def(&o.Downstream.Timeout, 5*time.Minute)
	def(&o.ReturnPath.Timeout, 5*time.Minute)
	defi(&o.Replicas, 3)
	defi(&o.MaxPending, 5000)
	def(&o.PendingCheck, time.Second)
	def(&o.JobAckWait, 30*time.Second)
	defi(&o.JobsHeld, 4*o.ProcessWorkers)
	def(&o.PublishTimeout, 30*time.Second)
	def(&o.SpoolSweep, time.Hour)
	def(&o.SpoolLeftoverAge, 7*24*time.Hour)
	if o.NodeName == "" {
		o.NodeName = o.Hostname
	}
	if o.NodeRole == "" {
		o.NodeRole = "all"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	return o
}

// Folders under DataDir.
func (o *Options) spoolDir() string      { return filepath.Join(o.DataDir, "spool") }
func (o *Options) outboxDir() string     { return filepath.Join(o.DataDir, "outbox") }
func (o *Options) quarantineDir() string { return filepath.Join(o.DataDir, "quarantine") }
func (o *Options) maildirDir() string    { return filepath.Join(o.DataDir, "maildir") }

// Dirs returns the data folders a Relay with these options uses, for the
// command-line tools.
func (o Options) Dirs() (spool, outbox, quarantine, maildir string) {
	if o.DataDir == "" {
		o.DataDir = "data"
	}
	return o.spoolDir(), o.outboxDir(), o.quarantineDir(), o.maildirDir()
}
