package held

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/mugai-project/mugai/internal/meta/metatest"
	"github.com/mugai-project/mugai/internal/meta/pgtest"
)

// TestSharedKeyOpensLinksOfEveryNode: two nodes of a cluster, each with a
// data folder and a held.key of its own, share the first node's key
// through the database: a link node 1 made before the cluster opens on
// node 2, a link node 2 makes opens on node 1, and node 2's held.key now
// holds the key in use.
func TestSharedKeyOpensLinksOfEveryNode(t *testing.T) {
	db := metatest.Postgres(t, pgtest.Start(t))
	ctx := context.Background()
	share := func(ctx context.Context, k []byte) ([]byte, error) { return db.SharedKey(ctx, "held", k) }
	dir1, dir2 := t.TempDir(), t.TempDir()
	n1, err := LoadLinks(dir1, "")
	if err != nil {
		t.Fatal(err)
	}
	before := n1.Token("20261207T010000Z-00112233445566aa")
	n2, err := LoadLinks(dir2, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := n2.Item(before); ok {
		t.Fatal("the two nodes started with one key: the test proves nothing")
	}
	for _, n := range []struct {
		l   *Links
		dir string
	}{{n1, dir1}, {n2, dir2}} {
		if err := n.l.Share(ctx, n.dir, share); err != nil {
			t.Fatal(err)
		}
	}
	if id, ok := n2.Item(before); !ok || id != "20261207T010000Z-00112233445566aa" {
		t.Fatal("node 2 refuses a link node 1 made before the cluster")
	}
	if _, ok := n1.Item(n2.Token("20261207T010500Z-99887766554433bb")); !ok {
		t.Fatal("node 1 refuses a link node 2 made")
	}
	k1, _ := os.ReadFile(filepath.Join(dir1, KeyFile))
	k2, _ := os.ReadFile(filepath.Join(dir2, KeyFile))
	if !bytes.Equal(k1, k2) {
		t.Fatal("node 2's held.key is not the key it uses")
	}
	again, err := LoadLinks(dir2, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := again.Item(before); !ok {
		t.Fatal("node 2 restarted without the database refuses the cluster's links")
	}
}
