package transfer_test

import (
	"context"
	"log"
	"os/signal"
	"syscall"

	"github.com/mugai-project/mugai/transfer"
)

// The two sites with every default: data in ./data, a self-signed
// certificate, uploads on :8080 and downloads on :8081.
func Example() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	srv, err := transfer.New(transfer.Options{DataDir: "data", Approval: true})
	if err != nil {
		log.Print(err)
		return
	}
	if err := srv.ListenAndServe(ctx); err != nil {
		log.Print(err)
	}
}
