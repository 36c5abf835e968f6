package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/mugai-project/mugai/internal/app"
)

// runServe implements `mugai serve [-config FILE]`: the SMTP relay, the
// transfer sites and the admin listener, until SIGINT or SIGTERM, then a
// graceful shutdown.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("config", "", "configuration file (TOML); default: built-in defaults (see mugai config example)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	c, err := loadConfig(*file)
	if err == nil {
		err = app.Check(&c)
	}
	if err != nil {
		fmt.Fprintf(stderr, "mugai serve: %v\n", err)
		return exitUsage
	}
	log := app.NewLogger(c.Log, stderr)
	svc, err := app.New(ctx, c, app.Options{Logger: log})
	if err != nil {
		log.Error("serve: "+err.Error(), "err", err)
		return exitInternal
	}
	runErr := svc.Run(ctx)
	sctx, cancel := context.WithTimeout(context.Background(), c.SMTP.DrainTimeout.Duration+30*time.Second)
	defer cancel()
	if err := errors.Join(runErr, svc.Shutdown(sctx)); err != nil {
		log.Error("serve: stopped", "err", err)
		return exitInternal
	}
	return exitOK
}
