package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/natstest"
)

// BenchmarkJetStreamList lists a quarantine of 5,000 items, one in 20
// released, as the console's first page does (Limit 50) and by state,
// reading every record (scan) and from the index in PostgreSQL (index).
// Both read one bucket.
func BenchmarkJetStreamList(b *testing.B) {
	const items, releasedEvery = 5000, 20
	db := openIndexDB(b)
	js := natstest.Connect(b, natstest.Start(b, 1).URLs())
	opts := JetStreamOptions{Bucket: "bench", Replicas: 1, Index: db}
	indexed := openJetStream(b, js, opts)
	opts.Index = nil
	scan := openJetStream(b, js, opts)
	fill(b, indexed, items, releasedEvery)

	filters := []struct {
		name string
		f    Filter
		want int
	}{
		{"limit50", Filter{Limit: 50}, 50},
		{"released", Filter{State: Released}, items / releasedEvery},
	}
	for _, s := range []struct {
		name string
		q    *JetStream
	}{{"scan", scan}, {"index", indexed}} {
		for _, f := range filters {
			b.Run(s.name+"/"+f.name, func(b *testing.B) {
				for b.Loop() {
					got, err := s.q.List(context.Background(), f.f)
					if err != nil || len(got) != f.want {
						b.Fatalf("listed %d, %v; want %d", len(got), err, f.want)
					}
				}
				b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/op")
			})
		}
	}
}

// fill puts n items into s, eight at a time, and releases one in every.
func fill(b *testing.B, s *JetStream, n, every int) {
	b.Helper()
	ctx := context.Background()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	work := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				id, err := s.Put(ctx, Item{Name: fmt.Sprint(i), Created: base.Add(time.Duration(i) * time.Minute), Reason: "encrypted"},
					strings.NewReader("original"))
				if err == nil && i%every == 0 {
					err = s.SetState(ctx, id, Released, "bench")
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	if len(errs) > 0 {
		b.Fatal(errs[0])
	}
}
