package smtpproxy

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// BenchmarkRelay measures messages a second from a go-smtp client through
// accept, spool, sanitize, outbox and delivery to a go-smtp sink, with
// every fsync.
func BenchmarkRelay(b *testing.B) {
	down := startFakeMTA(b)
	o := Options{
		DataDir: b.TempDir(), Listen: "127.0.0.1:0", Hostname: "mugai.test", Domains: []string{"lg.example.jp"},
		ScanInterval: 50 * time.Millisecond, Downstream: Remote{Addr: down.addr},
		Logger: testLogger(b), MaxConnectionsPerIP: 100,
	}
	eng := testEngine(b)
	r, err := newRelay(b, o, eng)
	if err != nil {
		b.Fatal(err)
	}
	if err := r.Listen(); err != nil {
		b.Fatal(err)
	}
	go r.Serve()
	defer func() {
		r.Shutdown(context.Background())
	}()
	const conns = 8
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := smtp.Dial(r.Addr().String())
			if err != nil {
				b.Error(err)
				return
			}
			defer c.Close()
			for j := i; j < b.N; j += conns {
				msg := fmt.Sprintf("From: a@example.com\r\nTo: u@lg.example.jp\r\nSubject: m%d\r\n\r\nbody %d\r\n", j, j)
				if err := c.SendMail("a@example.com", []string{"u@lg.example.jp"}, stringsReader(msg)); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for len(down.messages()) < b.N {
		time.Sleep(time.Millisecond)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}
