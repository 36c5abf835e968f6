package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mugai-project/mugai/internal/app"
	"github.com/mugai-project/mugai/internal/config"
	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/smtpproxy"
)

// runQueue implements `mugai queue [-config FILE] list|show ID|retry ID|delete ID`
// on the outbox in the data folder. It works beside a running server,
// which picks changes up at its next outbox scan.
func runQueue(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := newSubcommand("queue", "usage: mugai queue [-config FILE] list | show ID | retry ID | delete ID", "who does this, for the audit log", stderr)
	by := cmd.by
	a, c, ok := cmd.parse(args, stderr)
	if !ok {
		return exitUsage
	}
	_, outboxDir, _, _ := app.RelayOptions(&c).Dirs()
	q, err := smtpproxy.OpenOutbox(outboxDir)
	if errors.Is(err, fs.ErrNotExist) && a[0] == "list" {
		fmt.Fprintln(stdout, "the queue is empty")
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "mugai queue: %v\n", err)
		return exitInternal
	}
	switch a[0] {
	case "list":
		es, err := q.List()
		if err != nil {
			fmt.Fprintf(stderr, "mugai queue: %v\n", err)
			return exitInternal
		}
		tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tKIND\tRCPTS\tPENDING\tATTEMPTS\tNEXT\tLAST ERROR")
		for _, e := range es {
			pending := 0
			for _, r := range e.Rcpts {
				if r.Status == smtpproxy.StatusPending {
					pending++
				}
			}
			next := "now"
			switch {
			case e.Held:
				next = "held (failed)"
			case time.Until(e.NextAttempt) > 0:
				next = e.NextAttempt.Local().Format(time.DateTime)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\n", e.ID, e.Kind, len(e.Rcpts), pending, e.Attempts, next, e.LastError)
		}
		tw.Flush()
		return exitOK
	case "show":
		e, msg, err := q.Get(a[1])
		if err != nil {
			fmt.Fprintf(stderr, "mugai queue: %s: %v\n", a[1], err)
			return exitInternal
		}
		defer msg.Close()
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(e)
		// Only the header of the queued message: it is mugai's own
		// rebuilt message, and a header is enough to tell what it is.
		head, _ := io.ReadAll(io.LimitReader(msg, 16<<10))
		if i := strings.Index(string(head), "\r\n\r\n"); i >= 0 {
			head = head[:i]
		}
		fmt.Fprintf(stdout, "\n%s\n", strings.ReplaceAll(string(head), "\r\n", "\n"))
		return exitOK
	case "retry", "delete":
		db, err := app.OpenDB(ctx, &c)
		if err != nil {
			fmt.Fprintf(stderr, "mugai queue: %v\n", err)
			return exitInternal
		}
		defer db.Close()
		md, err := meta.NewStore(ctx, db)
		if err == nil {
			err = app.QueueAction(ctx, outboxDir, md, a[0], a[1], *by)
		}
		if err != nil {
			fmt.Fprintf(stderr, "mugai queue: %s %s: %v\n", a[0], a[1], err)
			return exitInternal
		}
		fmt.Fprintf(stdout, "%s: %s done\n", a[1], a[0])
		return exitOK
	}
	cmd.fset.Usage()
	return exitUsage
}

// subcommand is the command line `mugai NAME [-config FILE] [-by NAME]
// SUBCOMMAND [ID]` that queue and quarantine share.
type subcommand struct {
	name     string
	fset     *flag.FlagSet
	file, by *string
}

// newSubcommand declares -config and -by (byHelp says what -by records);
// the caller adds its own flags before parse.
func newSubcommand(name, usage, byHelp string, stderr io.Writer) *subcommand {
	fset := flag.NewFlagSet(name, flag.ContinueOnError)
	fset.SetOutput(stderr)
	s := &subcommand{name: name, fset: fset}
	s.file = fset.String("config", "", "configuration file; default: built-in defaults")
	s.by = fset.String("by", os.Getenv("USER"), byHelp)
	fset.Usage = func() {
		fmt.Fprintln(stderr, usage)
		fset.PrintDefaults()
	}
	return s
}

// parse parses "SUBCOMMAND [ID]" with the flags before or after the
// subcommand (mugai quarantine release -by NAME ID), every subcommand
// but list taking one ID, and loads the configuration. It prints the
// usage or the error when it fails.
func (s *subcommand) parse(args []string, stderr io.Writer) ([]string, config.Config, bool) {
	if err := s.fset.Parse(args); err != nil {
		return nil, config.Config{}, false
	}
	a := s.fset.Args()
	if len(a) > 0 {
		if err := s.fset.Parse(a[1:]); err != nil {
			return nil, config.Config{}, false
		}
		a = append([]string{a[0]}, s.fset.Args()...)
	}
	if len(a) == 0 || (a[0] != "list" && len(a) != 2) {
		s.fset.Usage()
		return nil, config.Config{}, false
	}
	c, err := loadConfig(*s.file)
	if err != nil {
		fmt.Fprintf(stderr, "mugai %s: %v\n", s.name, err)
		return nil, config.Config{}, false
	}
	return a, c, true
}
