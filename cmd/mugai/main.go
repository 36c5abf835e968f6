// Command mugai is the 無害化 gateway: an SMTP relay and a file transfer
// site that pass Internet mail and files to the LGWAN zone only after
// rebuilding them as harmless text, PDFs and images.
//
// Usage:
//
//	mugai serve                 run the relay and the transfer sites
//	mugai sanitize [flags] FILE sanitize files and .eml messages by hand
//	mugai cluster status        the nodes and work queue of a cluster
//	mugai version               print the version
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand: its one-line help and its entry point, which
// returns the process exit code.
type command struct {
	help string
	run  func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{
	"serve":    {"run the SMTP relay and the transfer web sites", runServe},
	"sanitize": {"sanitize files or .eml messages into a folder", runSanitize},
	"version":  {"print the version", runVersion},
	"users":    {"add, change, disable and list the transfer sites' users", runUsers},
	"audit":    {"export the audit trail (logins, uploads, downloads) as CSV", runAudit},

	// The mail relay's operations.
	"config":     {"check the configuration file or print an annotated example", runConfig},
	"queue":      {"list, show, retry or delete messages waiting for delivery", runQueue},
	"quarantine": {"list or show held originals; release one (audited, off by default)", runQuarantine},
	"cluster":    {"the nodes, work queue and lag of a cluster on NATS JetStream", runCluster},
}

// Exit codes shared by the subcommands.
const (
	exitOK       = 0
	exitInternal = 1
	exitUsage    = 2
)

func main() {
	spreadProcs()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "mugai: unknown command %q\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: mugai COMMAND [ARGS]")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].help)
	}
}
