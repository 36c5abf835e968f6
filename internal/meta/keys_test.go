package meta_test

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/meta/metatest"
)

// TestSharedKeyFirstWins: the first key offered under a name is the one
// every later caller gets, also when several nodes offer theirs at once.
func TestSharedKeyFirstWins(t *testing.T) {
	metatest.Each(t, func(t *testing.T, db *meta.DB) {
		ctx := context.Background()
		got := make([][]byte, 8)
		var wg sync.WaitGroup
		for i := range got {
			wg.Go(func() {
				k, err := db.SharedKey(ctx, "held", bytes.Repeat([]byte{byte(i + 1)}, 32))
				if err != nil {
					t.Error(err)
				}
				got[i] = k
			})
		}
		wg.Wait()
		for i, k := range got {
			if len(k) != 32 || !bytes.Equal(k, got[0]) {
				t.Fatalf("caller %d got %x, caller 0 %x: want one key for all", i, k, got[0])
			}
		}
		later, err := db.SharedKey(ctx, "held", bytes.Repeat([]byte{0xee}, 32))
		if err != nil || !bytes.Equal(later, got[0]) {
			t.Fatalf("a later node got %x, %v; want the first key %x", later, err, got[0])
		}
		other, err := db.SharedKey(ctx, "other", []byte("another key of 32 bytes, itself!"))
		if err != nil || bytes.Equal(other, got[0]) {
			t.Fatalf("another name got %x, %v: want its own key", other, err)
		}
	})
}
