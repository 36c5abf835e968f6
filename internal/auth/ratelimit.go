package auth

import (
	"sync"
	"time"
)

// Limiter is a token bucket per key (a client IP): Burst attempts at
// once, then one every Every. The zero value allows 10 at once and one
// every 6 seconds.
type Limiter struct {
	Burst int
	Every time.Duration
	Now   func() time.Time

	mu      sync.Mutex
	buckets map[string]bucket
	swept   time.Time // last sweep of a full table
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxKeys bounds the table; when full, buckets that are full again are
// dropped, by a sweep at most once every Every (a table full of live
// buckets is not walked again for each new address).
const maxKeys = 100_000

// Allow takes one token for key and reports whether there was one.
func (l *Limiter) Allow(key string) bool {
	burst, every, now := l.Burst, l.Every, time.Now
	if burst <= 0 {
		burst = 10
	}
	if every <= 0 {
		every = 6 * time.Second
	}
	if l.Now != nil {
		now = l.Now
	}
	t := now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = map[string]bucket{}
	}
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxKeys && t.Sub(l.swept) >= every {
			l.swept = t
			for k, v := range l.buckets {
				if t.Sub(v.last) > time.Duration(burst)*every {
					delete(l.buckets, k)
				}
			}
		}
		b = bucket{tokens: float64(burst), last: t}
	}
	b.tokens = min(float64(burst), b.tokens+float64(t.Sub(b.last))/float64(every))
	b.last = t
	allowed := b.tokens >= 1
	if allowed {
		b.tokens--
	}
	l.buckets[key] = b
	return allowed
}
