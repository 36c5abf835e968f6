package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/store"
)

// TestServiceSweepsRetention: mugai serve purges an original whose
// retention ended, by itself, and keeps one that is still kept.
func TestServiceSweepsRetention(t *testing.T) {
	svc, _ := startService(t, `
[log]
level = "error"
[smtp]
listen = "127.0.0.1:0"
[admin]
listen = ""
[web]
upload_listen = ""
download_listen = ""
[process]
sweep_interval = "50ms"
`)
	ctx := context.Background()
	old, err := svc.Quarantine.Put(ctx, store.Item{Name: "old.eml", Source: "smtp", RetainUntil: time.Now().Add(-time.Minute)}, strings.NewReader("old"))
	if err != nil {
		t.Fatal(err)
	}
	kept, err := svc.Quarantine.Put(ctx, store.Item{Name: "kept.eml", Source: "smtp", RetainUntil: time.Now().Add(time.Hour)}, strings.NewReader("kept"))
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		it, rc, _ := svc.Quarantine.Get(ctx, old)
		if rc != nil {
			rc.Close()
		}
		if it.State == store.Purged {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the expired original is still %s", it.State)
		}
	}
	if it, rc, err := svc.Quarantine.Get(ctx, kept); err != nil || it.State != store.Held {
		t.Fatalf("original within its retention: %s, %v", it.State, err)
	} else {
		rc.Close()
	}
}
