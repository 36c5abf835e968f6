package meta

import (
	"context"
	"fmt"
	"hash/fnv"
)

// Lead runs fn, a duty that one node at a time does (a periodic sweep),
// unless another node is doing it now. On PostgreSQL the duty is
// pg_try_advisory_lock of the duty's name, held on one connection
// while fn runs: a node that does not get it skips this run and tries
// again at its next. On SQLite, one machine's, fn just runs. ran says
// whether fn ran; err is fn's, or the lock's.
func (d *DB) Lead(ctx context.Context, duty string, fn func(context.Context) error) (ran bool, err error) {
	if !d.pg {
		return true, fn(ctx)
	}
	conn, err := d.DB.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("meta: %w", err)
	}
	defer conn.Close()
	key := dutyKey(duty)
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&got); err != nil {
		return false, fmt.Errorf("meta: %w", err)
	}
	if !got {
		return false, nil
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key)
	return true, fn(ctx)
}

// dutyKey is the advisory lock key of a duty: a hash of its name, apart
// from migrateLock.
func dutyKey(duty string) int64 {
	h := fnv.New64a()
	h.Write([]byte("mugai duty " + duty))
	return int64(h.Sum64())
}
