package app

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"text/template"

	"github.com/mugai-project/mugai/internal/config"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/archive"
	"github.com/mugai-project/mugai/sanitizer/mail"
	"github.com/mugai-project/mugai/sanitizer/office"
	"github.com/mugai-project/mugai/smtpproxy"
	"github.com/mugai-project/mugai/transfer"
)

// This file maps the configuration onto the options of the parts; the
// dependencies (engine, quarantine, database, logger, metrics) are New's.

// Check reports what config.Check cannot see from the file alone: that
// the process.policy file loads, that the notice template reads and
// parses, that the relay accepts the allowed networks, that the
// directory's settings and CA file are usable, and that every
// department's and domain's policy loads.
func Check(c *config.Config) error {
	var errs []error
	if _, err := engineOptions(c, nil); err != nil {
		errs = append(errs, err)
	}
	if _, err := smtpproxy.ParseNets(c.SMTP.AllowNets); err != nil {
		errs = append(errs, fmt.Errorf("config: smtp.allow_nets: %w", err))
	}
	if _, err := directory(c); err != nil {
		errs = append(errs, err)
	}
	if _, err := newPolicies(c); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// tempDir is the engine's and LibreOffice's work folder.
func tempDir(c *config.Config) string { return filepath.Join(c.DataDir, "tmp") }

// policy is the sanitizer policy: the process.policy file if one is set,
// with every pdf, image and text field it leaves unset taken from the
// [pdf], [image] and [text] sections. A field the policy file sets wins.
func policy(c *config.Config) (sanitizer.Policy, error) {
	return policyFile(c, c.Process.Policy, "process.policy")
}

// policyFile is the policy in file ("" for the built-in one), filled in
// from the [pdf], [image] and [text] sections as policy says; key names
// the setting in errors.
func policyFile(c *config.Config, file, key string) (sanitizer.Policy, error) {
	var p sanitizer.Policy
	if file != "" {
		var err error
		if p, err = sanitizer.LoadPolicyFile(file); err != nil {
			return p, fmt.Errorf("config: %s: %w", key, err)
		}
	}
	fill := func(v *int64, from int64) {
		if *v == 0 {
			*v = from
		}
	}
	filli := func(v *int, from int) {
		if *v == 0 {
			*v = from
		}
	}
	fills := func(v *string, from string) {
		if *v == "" {
			*v = from
		}
	}
	filli(&p.PDF.DPI, c.PDF.DPI)
	filli(&p.PDF.MaxPages, c.PDF.MaxPages)
	fill(&p.PDF.MaxPagePixels, c.PDF.MaxPagePixels)
	fills(&p.PDF.Links, c.PDF.Links)
	fills(&p.PDF.TextLayer, c.PDF.TextLayer)
	fill(&p.Image.MaxPixels, c.Image.MaxPixels)
	filli(&p.Image.JPEGQuality, c.Image.JPEGQuality)
	p.Text.NoCSVBOM = p.Text.NoCSVBOM || c.Text.NoCSVBOM
	fills(&p.Text.Links, c.Text.Links)
	if err := p.Check(); err != nil {
		return p, fmt.Errorf("config: %w", err)
	}
	return p, nil
}

// noticeTemplate reads and parses the notice template file ("" is the
// built-in notice).
func noticeTemplate(file string) (string, error) {
	if file == "" {
		return "", nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("config: mail.notice_template: %w", err)
	}
	if _, err := template.New("notice").Parse(string(b)); err != nil {
		return "", fmt.Errorf("config: mail.notice_template %s: %w", file, err)
	}
	return string(b), nil
}

// engineOptions maps the configuration onto the engine and every format
// package (the scanner is New's).
func engineOptions(c *config.Config, log *slog.Logger) (EngineOptions, error) {
	p, err := policy(c)
	if err != nil {
		return EngineOptions{}, err
	}
	notice, err := noticeTemplate(c.Mail.NoticeTemplate)
	if err != nil {
		return EngineOptions{}, err
	}
	o, ol, oc, m := c.Office, c.Office.Limits, c.Office.Convert, c.Mail
	return EngineOptions{
		Sanitizer: sanitizer.Options{Policy: p, TempDir: tempDir(c), Logger: log},
		Office: office.HandlerOptions{
			Disarm: office.Options{KeepHyperlinks: o.KeepHyperlinks, JPEGQuality: o.JPEGQuality, Limits: office.Limits{
				MaxEntries: ol.MaxEntries, MaxTotalBytes: ol.MaxTotalBytes, MaxEntryBytes: ol.MaxEntryBytes, MaxRatio: ol.MaxRatio,
				MaxXMLDepth: ol.MaxXMLDepth, MaxAttrs: ol.MaxAttrs, MaxImagePixels: ol.MaxImagePixels, MaxCapture: ol.MaxCapture,
			}},
			Convert: office.ConvertOptions{Soffice: oc.Soffice, Bwrap: oc.Bwrap, Prlimit: oc.Prlimit, TempDir: tempDir(c),
				Timeout: oc.Timeout.Duration, MaxMemory: oc.MaxMemory, MaxFile: oc.MaxFile, MaxFiles: oc.MaxFiles},
		},
		Archive: archive.Options{MaxEntries: c.Archive.MaxEntries, MaxTotalBytes: c.Archive.MaxTotalBytes,
			MaxRatio: c.Archive.MaxRatio, RatioFloor: c.Archive.RatioFloor},
		Mail: mail.Options{Links: m.Links, NFKC: m.NFKC, Charset: m.Charset, English: m.English, NoticeTemplate: notice,
			KeepReadReceipt: m.KeepReadReceipt, InlineImages: m.InlineImages,
			MaxHeaders: m.MaxHeaders, MaxHeaderBytes: m.MaxHeaderBytes, MaxHeaderLineBytes: m.MaxHeaderLineBytes,
			MaxDepth: m.MaxDepth, MaxParts: m.MaxParts, MaxBodyBytes: m.MaxBodyBytes},
	}, nil
}

func remote(r config.Remote) smtpproxy.Remote {
	return smtpproxy.Remote{Addr: r.Relay, StartTLS: r.StartTLS, InsecureSkipVerify: r.InsecureSkipVerify,
		Username: r.Username, Password: r.Password, Timeout: r.Timeout.Duration}
}

// RelayOptions are the relay's options (logger and metrics are New's).
func RelayOptions(c *config.Config) smtpproxy.Options {
	return smtpproxy.Options{
		DataDir: c.DataDir, Listen: c.SMTP.Listen, Hostname: c.SMTP.Hostname, Domains: c.SMTP.Domains, AllowNets: c.SMTP.AllowNets,
		MaxMessageBytes: c.SMTP.MaxMessageBytes, MaxRecipients: c.SMTP.MaxRecipients, MaxLineLength: c.SMTP.MaxLineLength,
		CommandTimeout: c.SMTP.CommandTimeout.Duration, DataTimeout: c.SMTP.DataTimeout.Duration, WriteTimeout: c.SMTP.WriteTimeout.Duration,
		MaxConnections: c.SMTP.MaxConnections, MaxConnectionsPerIP: c.SMTP.MaxConnectionsPerIP,
		TLSCert: c.SMTP.TLSCert, TLSKey: c.SMTP.TLSKey, DrainTimeout: c.SMTP.DrainTimeout.Duration,
		MinFree: c.SMTP.MinFree, MaxJunkCommands: c.SMTP.JunkCommandLimit,
		ProcessWorkers: c.Process.Workers, ProcessTimeout: c.Process.Timeout.Duration, Retention: c.Process.Retention.Duration,
		Downstream: remote(c.Deliver.Remote), ReturnPath: remote(c.ReturnPath),
		DeliverWorkers: c.Deliver.Workers, RetryInitial: c.Deliver.RetryInitial.Duration, RetryMax: c.Deliver.RetryMax.Duration,
		QueueLifetime: c.Deliver.Lifetime.Duration, ScanInterval: c.Deliver.ScanInterval.Duration,
		Replicas: c.Cluster.Replicas, MaxPending: c.Cluster.MaxPending, JobAckWait: c.Cluster.AckWait.Duration,
		NodeName: c.Cluster.Node, NodeRole: c.Cluster.Role,
	}
}

// transferOptions are the transfer sites' options (engine, quarantine,
// database, logger and metrics are New's).
func transferOptions(c *config.Config) transfer.Options {
	return transfer.Options{
		DataDir: c.DataDir, OriginalRetention: c.Process.TransferRetention.Duration,
		UploadAddr: c.Web.UploadListen, DownloadAddr: c.Web.DownloadListen,
		TLSCertFile: c.Web.TLSCert, TLSKeyFile: c.Web.TLSKey, PlainHTTP: c.Web.PlainHTTP,
		Expiry: c.Web.Expiry.Duration, Approval: c.Web.Approval, DownloadURL: c.Web.DownloadURL,
		NeverRelease:   c.Quarantine.NeverRelease,
		MaxUploadBytes: c.Web.MaxUploadBytes, MaxFiles: c.Web.MaxFiles, Workers: c.Web.Workers,
		AllowRelease: c.Quarantine.AllowRelease,
		Node:         c.Cluster.Node, Lease: c.Cluster.AckWait.Duration,
	}
}
