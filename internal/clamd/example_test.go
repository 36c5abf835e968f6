package clamd_test

import (
	"context"
	"log"
	"time"

	"github.com/mugai-project/mugai/internal/app"
	"github.com/mugai-project/mugai/internal/clamd"
	"github.com/mugai-project/mugai/sanitizer"
)

// Point the engine at Debian's clamd: every item, and every item nested
// in an archive or a mail, is scanned before it is rebuilt.
func Example() {
	network, address, err := clamd.ParseAddress("unix:/run/clamav/clamd.ctl")
	if err != nil {
		log.Fatal(err)
	}
	c, err := clamd.New(clamd.Options{Network: network, Address: address, MaxStreamBytes: 100 << 20})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx); err != nil {
		log.Fatal(err) // clamd down: items would all be withheld ("scan-failed")
	}
	e, err := app.NewEngine(app.EngineOptions{Sanitizer: sanitizer.Options{Scanner: c}})
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
}
