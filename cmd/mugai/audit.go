package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/mugai-project/mugai/internal/app"
	"github.com/mugai-project/mugai/internal/audit"
)

// runAudit implements `mugai audit export [-data DIR | -config FILE] [--since T] [--until T] [--format csv|jsonl]`.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	usage := func() {
		fmt.Fprintln(stderr, "usage: mugai audit export [-data DIR | -config FILE] [--since 2026-04-01|RFC3339|720h] [--until …] [--user U] [--item ID] [--format csv|jsonl]")
	}
	fs := flag.NewFlagSet("audit export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = usage
	dataDir := dataDirFlags(fs)
	since := fs.String("since", "", "from this time: a date (2026-04-01, local time), RFC 3339, or a duration back from now (720h)")
	until := fs.String("until", "", "before this time, in the same forms")
	user := fs.String("user", "", "only this user's events")
	item := fs.String("item", "", "only this item's events")
	format := fs.String("format", "csv", "csv (UTF-8 with BOM, for Excel) or jsonl")
	// The flags go before or after "export".
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() == 0 || fs.Arg(0) != "export" {
		usage()
		return exitUsage
	}
	if err := fs.Parse(fs.Args()[1:]); err != nil {
		return exitUsage
	}
	var f audit.Filter
	var err error
	now := time.Now()
	if f.Since, err = parseWhen(*since, now); err != nil {
		fmt.Fprintf(stderr, "mugai audit: --since: %v\n", err)
		return exitUsage
	}
	if f.Until, err = parseWhen(*until, now); err != nil {
		fmt.Fprintf(stderr, "mugai audit: --until: %v\n", err)
		return exitUsage
	}
	if *format != "csv" && *format != "jsonl" {
		usage()
		return exitUsage
	}
	f.User, f.Item = *user, *item
	c, err := dataDir()
	if err != nil {
		fmt.Fprintf(stderr, "mugai audit: %v\n", err)
		return exitUsage
	}
	db, err := app.OpenDB(ctx, &c)
	if err != nil {
		fmt.Fprintf(stderr, "mugai audit: %v\n", err)
		return exitInternal
	}
	defer db.Close()
	l, err := audit.New(ctx, db, "")
	if err != nil {
		fmt.Fprintf(stderr, "mugai audit: %v\n", err)
		return exitInternal
	}
	if err := l.Export(ctx, stdout, f, *format); err != nil {
		fmt.Fprintf(stderr, "mugai audit: %v\n", err)
		return exitInternal
	}
	return exitOK
}

// parseWhen reads a time as a date, RFC 3339, or a duration before now.
func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, time.Local); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02 15:04", s, time.Local); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date, an RFC 3339 time or a duration", s)
}
