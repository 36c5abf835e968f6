package sanitizer_test

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/detect"
)

type counterKey struct{}

// TestTreeSharedAcrossNesting: every item under one top-level item sees
// the same shared value, and another top-level item starts afresh, so a
// tree-wide allowance (the archive budget) cannot be multiplied by nesting
// nor leak between items.
func TestTreeSharedAcrossNesting(t *testing.T) {
	var h sanitizer.HandlerFunc
	h = func(ctx context.Context, j *sanitizer.Job) error {
		n := j.Tree.Shared(counterKey{}, func() any { return new(atomic.Int32) }).(*atomic.Int32)
		n.Add(1)
		if j.Depth < 2 {
			for range 2 {
				res, err := j.Child(ctx, sanitizer.Input{Name: "inner.txt", Body: strings.NewReader("x\n")})
				if err != nil {
					return err
				}
				res.Close()
			}
		}
		if j.Depth == 0 && n.Load() != 7 {
			return errors.New("the tree's counter does not count every nested item")
		}
		_, err := j.Create(".txt", detect.Text).Write([]byte("ok\n"))
		return err
	}
	e := newTestEngine(t, sanitizer.Options{Handlers: map[detect.Kind]sanitizer.Handler{detect.Text: h}})
	for _, name := range []string{"first.txt", "second.txt"} {
		if res := run(t, e, name, []byte("a\n")); res.Report.Withheld {
			t.Errorf("%s: %+v", name, res.Report.Reasons)
		}
	}
}

type closer struct{ closed int }

func (c *closer) Close() error { c.closed++; return nil }

// TestCloseReleasesWhatTheEngineWasHanded: the owner of an engine closes
// it alone; what the composition root handed over is released with it.
func TestCloseReleasesWhatTheEngineWasHanded(t *testing.T) {
	a, b := &closer{}, &closer{}
	e, err := sanitizer.New(sanitizer.Options{Closers: []io.Closer{a, b}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if a.closed != 1 || b.closed != 1 {
		t.Errorf("closed %d and %d times, want once each", a.closed, b.closed)
	}
}

// TestRemovedAtLeast: a second reader's count raises the report's count
// of a kind to the larger one, never adds to it, and adds a kind the
// first reader did not see.
func TestRemovedAtLeast(t *testing.T) {
	h := sanitizer.HandlerFunc(func(ctx context.Context, j *sanitizer.Job) error {
		j.Removed("javascript", 1)
		j.Removed("uri", 3)
		j.RemovedAtLeast("javascript", 2)
		j.RemovedAtLeast("uri", 1)
		j.RemovedAtLeast("openaction", 1)
		j.RemovedAtLeast("launch", 0)
		_, err := j.Create(".txt", detect.Text).Write([]byte("ok\n"))
		return err
	})
	e := newTestEngine(t, sanitizer.Options{Handlers: map[detect.Kind]sanitizer.Handler{detect.Text: h}})
	res := run(t, e, "a.txt", []byte("a\n"))
	want := []sanitizer.Removal{{What: "javascript", Count: 2}, {What: "uri", Count: 3}, {What: "openaction", Count: 1}}
	if !slices.Equal(res.Report.Removed, want) {
		t.Errorf("removed %v, want %v", res.Report.Removed, want)
	}
}
