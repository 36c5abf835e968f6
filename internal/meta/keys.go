package meta

import (
	"context"
	"encoding/base64"
	"fmt"
)

// keysSchema holds the secrets that every node of a cluster must share,
// such as the key that signs the links to held items: a link made by
// one node is opened on the download site of another.
var keysSchema = Schema{Part: "keys", Versions: []string{
	// 1
	`CREATE TABLE IF NOT EXISTS shared_keys (
		name TEXT PRIMARY KEY,
		value TEXT NOT NULL
	)`,
}}

// SharedKey returns the key stored under name, storing candidate first
// when there is none: the first node to ask gives its own key, and every
// node after it gets that one. Two nodes asking at once get the same
// key, the first insert's.
func (d *DB) SharedKey(ctx context.Context, name string, candidate []byte) ([]byte, error) {
	if err := d.Migrate(ctx, keysSchema); err != nil {
		return nil, err
	}
	if _, err := d.ExecContext(ctx, `INSERT INTO shared_keys (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
		name, base64.StdEncoding.EncodeToString(candidate)); err != nil {
		return nil, fmt.Errorf("meta: storing the %s key: %w", name, err)
	}
	var v string
	if err := d.QueryRowContext(ctx, `SELECT value FROM shared_keys WHERE name = ?`, name).Scan(&v); err != nil {
		return nil, fmt.Errorf("meta: reading the %s key: %w", name, err)
	}
	key, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("meta: the stored %s key: %w", name, err)
	}
	return key, nil
}
