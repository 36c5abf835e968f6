package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mugai-project/mugai/internal/app"
	"github.com/mugai-project/mugai/internal/catalog"
	"github.com/mugai-project/mugai/smtpproxy"
)

// runCluster implements `mugai cluster [-config FILE] [-lang ja|en]
// status`: the nodes heard from, the work queue's depth, the
// consumer's lag and the oldest job, read from NATS JetStream.
func runCluster(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cluster", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("config", "", "configuration file; default: built-in defaults")
	lang := fs.String("lang", catalog.Japanese, "language: "+strings.Join(catalog.Languages(), ", "))
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() != 1 || fs.Arg(0) != "status" {
		fmt.Fprintln(stderr, "usage: mugai cluster [-config FILE] [-lang ja|en] status")
		return exitUsage
	}
	c, err := loadConfig(*file)
	if err != nil {
		fmt.Fprintf(stderr, "mugai cluster: %v\n", err)
		return exitUsage
	}
	l := *lang
	if c.Cluster.NATS == "" {
		fmt.Fprintln(stdout, catalog.Text(l, "cluster.not_clustered"))
		return exitOK
	}
	js, _, closeJS, err := app.OpenJetStream(&c)
	if err != nil {
		fmt.Fprintf(stderr, "mugai cluster: %v\n", err)
		return exitInternal
	}
	defer closeJS()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	st, err := smtpproxy.Status(ctx, js)
	if err != nil {
		fmt.Fprintf(stderr, "mugai cluster: %v\n", err)
		return exitInternal
	}
	printStatus(stdout, l, st, time.Now())
	return exitOK
}

func printStatus(w io.Writer, l string, st *smtpproxy.ClusterStatus, now time.Time) {
	ago := func(t time.Time) string { return now.Sub(t).Round(time.Second).String() }
	fmt.Fprintln(w, catalog.Text(l, "cluster.nodes", len(st.Nodes)))
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "  "+catalog.Text(l, "cluster.node_header"))
	for _, n := range st.Nodes {
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\t%s\n", n.Node, n.Role, n.Held, ago(n.Seen), n.Started.Local().Format(time.DateTime))
	}
	tw.Flush()
	fmt.Fprintln(w, catalog.Text(l, "cluster.jobs", st.Jobs, st.Replicas))
	fmt.Fprintln(w, catalog.Text(l, "cluster.pending", st.Pending))
	fmt.Fprintln(w, catalog.Text(l, "cluster.ack_pending", st.AckPending))
	fmt.Fprintln(w, catalog.Text(l, "cluster.redelivered", st.Redelivered))
	fmt.Fprintln(w, catalog.Text(l, "cluster.waiting", st.Waiting))
	if st.Oldest.IsZero() {
		fmt.Fprintln(w, catalog.Text(l, "cluster.oldest_none"))
	} else {
		fmt.Fprintln(w, catalog.Text(l, "cluster.oldest", st.Oldest.Local().Format(time.DateTime), ago(st.Oldest)))
	}
}
