package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mugai-project/mugai/internal/app"
	"github.com/mugai-project/mugai/internal/config"
	"github.com/mugai-project/mugai/internal/store"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/smtpproxy"
	"github.com/mugai-project/mugai/transfer"
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
	if err != nil {
		fmt.Fprintf(stderr, "mugai serve: %v\n", err)
		return exitUsage
	}
	log := newLogger(&c, stderr)
	var policy sanitizer.Policy
	if c.Process.Policy != "" {
		if policy, err = sanitizer.LoadPolicyFile(c.Process.Policy); err != nil {
			fmt.Fprintf(stderr, "mugai serve: process.policy: %v\n", err)
			return exitUsage
		}
	}
	tmp := filepath.Join(c.DataDir, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		log.Error("serve: data folder", "err", err)
		return exitInternal
	}
	engOpts := sanitizer.Options{Policy: policy, TempDir: tmp, Logger: log}
	if c.Scanner.Clamd != "" {
		sc, err := app.NewScanner(ctx, c.Scanner.Clamd)
		if err != nil {
			log.Error("serve: scanner", "err", err)
			return exitInternal
		}
		engOpts.Scanner = sc
		log.Info("serve: every item is scanned by clamd", "addr", c.Scanner.Clamd)
	}
	eng, err := app.NewEngine(app.EngineOptions{Sanitizer: engOpts})
	if err != nil {
		log.Error("serve: sanitizer", "err", err)
		return exitInternal
	}
	defer eng.Close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	opts := c.Relay()
	opts.Logger, opts.Metrics = log, smtpproxy.NewMetrics(reg)
	// One quarantine for both front doors.
	q, err := store.NewFS(filepath.Join(c.DataDir, "quarantine"))
	if err != nil {
		log.Error("serve: quarantine", "err", err)
		return exitInternal
	}
	relay, err := smtpproxy.New(opts, eng, q, nil)
	if err != nil {
		log.Error("serve: relay", "err", err)
		return exitInternal
	}
	defer relay.Close()
	if err := relay.Listen(); err != nil {
		log.Error("serve: SMTP listener", "err", err)
		return exitInternal
	}

	var admin *http.Server
	if c.Admin.Listen != "" {
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
		mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
			if ctx.Err() != nil {
				http.Error(w, "shutting down", http.StatusServiceUnavailable)
				return
			}
			io.WriteString(w, "ok\n")
		})
		l, err := net.Listen("tcp", c.Admin.Listen)
		if err != nil {
			log.Error("serve: admin listener", "err", err)
			return exitInternal
		}
		admin = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go admin.Serve(l)
		log.Info("serve: admin listening", "addr", l.Addr().String())
	}

	done := make(chan error, 2)
	go func() { done <- relay.Serve() }()
	webCtx, stopWeb := context.WithCancel(ctx)
	defer stopWeb()
	webDone := make(chan struct{})
	if c.Web.UploadListen != "" {
		topts := c.Transfer()
		topts.Engine, topts.Quarantine, topts.Logger = eng, q, log
		web, err := transfer.New(topts)
		if err != nil {
			log.Error("serve: transfer sites", "err", err)
			return exitInternal
		}
		go func() {
			defer close(webDone)
			if err := web.ListenAndServe(webCtx); err != nil {
				done <- fmt.Errorf("transfer sites: %w", err)
			}
		}()
	} else {
		close(webDone)
	}
	log.Info("serve: started", "smtp", relay.Addr().String(), "upload", c.Web.UploadListen, "download", c.Web.DownloadListen,
		"data", c.DataDir, "delivery", deliveryTarget(&c))
	select {
	case <-ctx.Done():
	case err := <-done:
		if err != nil {
			log.Error("serve: stopped", "err", err)
			return exitInternal
		}
	}
	stopWeb()
	<-webDone
	log.Info("serve: shutting down: new sessions get 421, open ones may finish")
	sctx, cancel := context.WithTimeout(context.Background(), c.SMTP.DrainTimeout.Duration+30*time.Second)
	defer cancel()
	code := exitOK
	if err := relay.Shutdown(sctx); err != nil && !errors.Is(err, context.Canceled) {
		log.Error("serve: shutdown", "err", err)
		code = exitInternal
	}
	if admin != nil {
		admin.Shutdown(sctx)
	}
	log.Info("serve: stopped")
	return code
}

func newLogger(c *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(c.Log.Level))
	ho := &slog.HandlerOptions{Level: level}
	if c.Log.Format == "text" {
		return slog.New(slog.NewTextHandler(w, ho))
	}
	return slog.New(slog.NewJSONHandler(w, ho))
}
