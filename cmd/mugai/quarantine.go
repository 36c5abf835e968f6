package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/mugai-project/mugai/internal/app"
	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/store"
	"github.com/mugai-project/mugai/smtpproxy"
)

// runQuarantine implements `mugai quarantine [-config FILE] list | show ID | release ID`.
// release delivers an original to its recipients unsanitized; it is off
// unless quarantine.allow_release is set, and every release is audited.
func runQuarantine(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := newSubcommand("quarantine", "usage: mugai quarantine [-config FILE] list | show ID | release [-by NAME] ID", "who releases, for the audit log", stderr)
	by := cmd.by
	state := cmd.fset.String("state", "", "list only items in this state: held, released, purged")
	a, c, ok := cmd.parse(args, stderr)
	if !ok {
		return exitUsage
	}
	_, outboxDir, _, _ := app.RelayOptions(&c).Dirs()
	h, err := app.OpenDB(ctx, &c)
	if err != nil {
		fmt.Fprintf(stderr, "mugai quarantine: %v\n", err)
		return exitInternal
	}
	defer h.Close()
	st, err := app.OpenStorage(ctx, &c, h)
	if err != nil {
		fmt.Fprintf(stderr, "mugai quarantine: %v\n", err)
		return exitInternal
	}
	defer st.Close()
	q := st.Quarantine
	switch a[0] {
	case "list":
		items, err := q.List(ctx, store.Filter{State: store.State(*state)})
		if err != nil {
			fmt.Fprintf(stderr, "mugai quarantine: %v\n", err)
			return exitInternal
		}
		tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATE\tREASON\tSIZE\tFROM\tRETAIN UNTIL")
		for _, it := range items {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", it.ID, it.State, it.Reason, it.Size, it.Meta["from"], it.RetainUntil.Format("2006-01-02"))
		}
		tw.Flush()
		return exitOK
	case "show":
		it, rc, err := q.Get(ctx, a[1])
		if rc != nil {
			rc.Close()
		}
		if err != nil && it.ID == "" {
			fmt.Fprintf(stderr, "mugai quarantine: %s: %v\n", a[1], err)
			return exitInternal
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(it)
		return exitOK
	case "release":
		if !c.Quarantine.AllowRelease {
			fmt.Fprintln(stderr, "mugai quarantine: release is disabled; set quarantine.allow_release = true in the configuration")
			return exitUsage
		}
		if *by == "" {
			fmt.Fprintln(stderr, "mugai quarantine: release needs -by NAME for the audit log")
			return exitUsage
		}
		return release(ctx, h, outboxDir, q, a[1], *by, stdout, stderr)
	}
	cmd.fset.Usage()
	return exitUsage
}

func release(ctx context.Context, h *meta.DB, outboxDir string, q store.Quarantine, id, by string, stdout, stderr io.Writer) int {
	db, err := meta.NewStore(ctx, h)
	if err != nil {
		fmt.Fprintf(stderr, "mugai quarantine: %v\n", err)
		return exitInternal
	}
	ob, err := smtpproxy.OpenOutbox(outboxDir)
	if err != nil {
		fmt.Fprintf(stderr, "mugai quarantine: %v\n", err)
		return exitInternal
	}
	qid, n, err := app.Release(ctx, ob, q, db, id, by)
	if err != nil {
		fmt.Fprintf(stderr, "mugai quarantine: %v\n", err)
		if errors.Is(err, app.ErrNotMail) {
			return exitUsage
		}
		return exitInternal
	}
	fmt.Fprintf(stdout, "%s released to %d recipients as queue entry %s\n", id, n, qid)
	return exitOK
}
