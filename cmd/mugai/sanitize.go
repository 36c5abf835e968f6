package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mugai-project/mugai/internal/app"
	"github.com/mugai-project/mugai/internal/catalog"
	"github.com/mugai-project/mugai/internal/store"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/detect"
)

// runSanitize implements `mugai sanitize [-o DIR] [--policy FILE] [--json] INPUT...`.
// Each input's outputs and <stem>.report.json are written into DIR. It
// exits 0 when every input was processed (a withheld item is processed),
// 1 on an internal error, 2 on bad usage.
func runSanitize(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sanitize", flag.ContinueOnError)
	fs.SetOutput(stderr)
	outDir := fs.String("o", ".", "folder for the outputs and reports")
	policyFile := fs.String("policy", "", "policy file (TOML); default: the built-in safe policy")
	asJSON := fs.Bool("json", false, "print each report as JSON instead of a one-line summary")
	lang := fs.String("lang", catalog.Japanese, "language of the summary: "+strings.Join(catalog.Languages(), ", "))
	verbose := fs.Bool("v", false, "log each step to standard error")
	quarantine := fs.String("q", "", "quarantine folder: keep the originals of withheld and held items there")
	password := fs.String("password", "", "password for encrypted inputs (PPAP zips, PDFs)")
	clamdAddr := fs.String("clamd", "", "scan every item with clamd at this address (unix:/run/clamav/clamd.ctl, tcp:HOST:PORT)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: mugai sanitize [-o DIR] [-q QUARANTINE] [--password PW] [--policy FILE] [--json] INPUT...  (INPUT - reads standard input)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitUsage
	}
	if !catalog.Supported(*lang) {
		fmt.Fprintf(stderr, "mugai sanitize: no words in language %q (have %s)\n", *lang, strings.Join(catalog.Languages(), ", "))
		return exitUsage
	}
	var policy sanitizer.Policy
	if *policyFile != "" {
		p, err := sanitizer.LoadPolicyFile(*policyFile)
		if err != nil {
			fmt.Fprintf(stderr, "mugai sanitize: %v\n", err)
			return exitUsage
		}
		policy = p
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		fmt.Fprintf(stderr, "mugai sanitize: %v\n", err)
		return exitInternal
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	opts := sanitizer.Options{
		Policy: policy,
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
	}
	if *clamdAddr != "" {
		sc, err := app.NewScanner(ctx, *clamdAddr)
		if err != nil {
			fmt.Fprintf(stderr, "mugai sanitize: %v\n", err)
			return exitInternal
		}
		opts.Scanner = sc
	}
	eng, err := app.NewEngine(app.EngineOptions{Sanitizer: opts})
	if err != nil {
		fmt.Fprintf(stderr, "mugai sanitize: %v\n", err)
		return exitInternal
	}
	defer eng.Close()

	var q store.Quarantine
	if *quarantine != "" {
		fsq, err := store.NewFS(*quarantine)
		if err != nil {
			fmt.Fprintf(stderr, "mugai sanitize: %v\n", err)
			return exitInternal
		}
		q = fsq
	}
	code := exitOK
	for _, in := range fs.Args() {
		rep, err := sanitizeOne(ctx, eng, q, in, *outDir, *password)
		if err != nil {
			fmt.Fprintf(stderr, "mugai sanitize: %s: %v\n", in, err)
			code = exitInternal
			continue
		}
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			enc.Encode(rep)
		} else {
			fmt.Fprintln(stdout, rep.Summary(*lang))
		}
	}
	return code
}

// retention is how long the command keeps originals in the quarantine.
const retention = 90 * 24 * time.Hour

// sanitizeOne runs one input and writes its outputs and report. With a
// quarantine, the original of a withheld item is kept there under the
// report's ID.
func sanitizeOne(ctx context.Context, eng *sanitizer.Engine, q store.Quarantine, in, outDir, password string) (*sanitizer.Report, error) {
	name := filepath.Base(in)
	var body io.Reader = os.Stdin
	if in == "-" {
		name = "stdin"
	} else {
		f, err := os.Open(in)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		body = f
	}
	res, err := eng.Sanitize(ctx, sanitizer.Input{Name: name, Body: body, Password: password})
	if err != nil {
		return nil, err
	}
	defer res.Close()
	if q != nil && res.Report.Withheld {
		if err := keep(ctx, q, res); err != nil {
			return nil, err
		}
	}
	absIn, _ := filepath.Abs(in)
	for i, o := range res.Outputs {
		path := filepath.Join(outDir, o.Name)
		// Never overwrite the input with its own output.
		if abs, _ := filepath.Abs(path); abs == absIn {
			path = filepath.Join(outDir, detect.WithExt(o.Name, ".mugai"+filepath.Ext(o.Name)))
			res.Report.Outputs[i].Name = filepath.Base(path)
		}
		if err := writeFile(path, o.Open()); err != nil {
			return nil, err
		}
	}
	js, err := json.MarshalIndent(res.Report, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(outDir, detect.WithExt(name, ".report.json")), strings.NewReader(string(js)+"\n")); err != nil {
		return nil, err
	}
	return res.Report, nil
}

// keep puts the original of a withheld item into the quarantine.
func keep(ctx context.Context, q store.Quarantine, res *sanitizer.Result) error {
	rep := res.Report
	js, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	reason := ""
	if len(rep.Reasons) > 0 {
		reason = rep.Reasons[0].Code
	}
	_, err = q.Put(ctx, store.Item{
		ID: rep.ID, Name: rep.Name, MediaType: rep.MediaType, Reason: reason, Report: js,
		SHA256: rep.SHA256, RetainUntil: time.Now().Add(retention), Source: "cli",
	}, res.Original.Open())
	if err != nil {
		return fmt.Errorf("quarantine: %w", err)
	}
	rep.QuarantineID = rep.ID
	return nil
}

// writeFile writes r to path through a temporary file and a rename, so a
// reader never sees half a file.
func writeFile(path string, r io.Reader) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".mugai-*")
	if err != nil {
		return err
	}
	_, err = io.Copy(tmp, r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return errors.Join(fmt.Errorf("writing %s", path), err)
	}
	return nil
}
