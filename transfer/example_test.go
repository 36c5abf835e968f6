package transfer_test

import (
	"context"
	"log"
	"os/signal"
	"syscall"

	"github.com/mugai-project/mugai/internal/app"
	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/store"
	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/transfer"
)

// The two sites with every other default: data in ./data, a
// self-signed certificate, uploads on :8080 and downloads on :8081. The
// engine, the quarantine and the database are given (mugai serve builds
// them once for the relay and the sites).
func Example() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	eng, err := app.NewEngine(app.EngineOptions{Sanitizer: sanitizer.Options{}})
	if err != nil {
		log.Print(err)
		return
	}
	defer eng.Close()
	q, err := store.NewFS("data/quarantine")
	if err != nil {
		log.Print(err)
		return
	}
	db, err := meta.OpenDB(ctx, "data/mugai.db")
	if err != nil {
		log.Print(err)
		return
	}
	defer db.Close()
	srv, err := transfer.New(transfer.Options{DataDir: "data", Engine: eng, Quarantine: q, DB: db, Approval: true})
	if err != nil {
		log.Print(err)
		return
	}
	if err := srv.ListenAndServe(ctx); err != nil {
		log.Print(err)
	}
}
