package held

import (
	"strings"
	"sync"
	"time"
)

// memHints keeps the hints of one node in its memory: the default
// hintStore.
type memHints struct {
	mu      sync.Mutex
	waiting []waiting
	found   map[hintKey][]Hint
}

var _ hintStore = (*memHints)(nil)

func (m *memHints) hold(w waiting, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(now)
	for _, x := range m.waiting {
		if x.ID == w.ID {
			return nil // processed again after a crash
		}
	}
	m.waiting = append(m.waiting, w)
	return nil
}

func (m *memHints) heldFrom(from string, now time.Time) ([]waiting, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(now)
	var ws []waiting
	for _, w := range m.waiting {
		if strings.EqualFold(w.From, from) {
			ws = append(ws, w)
		}
	}
	return ws, nil
}

func (m *memHints) keep(k hintKey, h Hint, now time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.found == nil {
		m.found = map[hintKey][]Hint{}
	}
	for _, x := range m.found[k] {
		if x.Password == h.Password {
			return false, nil
		}
	}
	m.found[k] = append(m.found[k], h)
	m.bound()
	return true, nil
}

func (m *memHints) hints(k hintKey, now time.Time) ([]Hint, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(now)
	return append([]Hint(nil), m.found[k]...), nil
}

func (m *memHints) take(k hintKey, id string, now time.Time) (Hint, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(now)
	for i, x := range m.found[k] {
		if x.ID == id {
			m.found[k] = append(m.found[k][:i:i], m.found[k][i+1:]...)
			if len(m.found[k]) == 0 {
				delete(m.found, k)
			}
			return x, true, nil
		}
	}
	return Hint{}, false, nil
}

func (m *memHints) forget(k hintKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.found, k)
	return nil
}

// expire drops the held mails past their window and the passwords past
// their life. The caller holds mu.
func (m *memHints) expire(now time.Time) {
	keep := m.waiting[:0]
	for _, w := range m.waiting {
		if !now.After(w.Until) {
			keep = append(keep, w)
		}
	}
	clear(m.waiting[len(keep):])
	m.waiting = keep
	for k, hs := range m.found {
		live := hs[:0]
		for _, x := range hs {
			if now.Before(x.expires) {
				live = append(live, x)
			}
		}
		if len(live) == 0 {
			delete(m.found, k)
		} else {
			m.found[k] = live
		}
	}
}

// bound drops the oldest passwords past maxHints. The caller holds mu.
func (m *memHints) bound() {
	total := 0
	for _, hs := range m.found {
		total += len(hs)
	}
	for total > maxHints {
		var oldest hintKey
		first := true
		for k, hs := range m.found {
			if first || hs[0].expires.Before(m.found[oldest][0].expires) {
				oldest, first = k, false
			}
		}
		total -= len(m.found[oldest])
		delete(m.found, oldest)
	}
}
