package meta

import (
	"context"
	"database/sql"
	"fmt"
)

// pgMigrations are the PostgreSQL schema's versions: pgMigrations[i]
// takes the schema from version i to i+1. Append only: a version once
// released is never edited.
var pgMigrations = []string{
	// 1: the relay's messages, their delivery attempts, the audit log.
	`CREATE TABLE messages (
		id TEXT PRIMARY KEY,
		received TIMESTAMPTZ NOT NULL,
		sender TEXT NOT NULL,
		rcpts TEXT NOT NULL,
		client_ip TEXT NOT NULL DEFAULT '',
		size BIGINT NOT NULL DEFAULT 0,
		sha256 TEXT NOT NULL DEFAULT '',
		outcome TEXT NOT NULL DEFAULT '',
		reason TEXT NOT NULL DEFAULT '',
		kind TEXT NOT NULL DEFAULT '',
		state TEXT NOT NULL,
		detail TEXT NOT NULL DEFAULT '',
		updated TIMESTAMPTZ NOT NULL
	);
	CREATE INDEX messages_state ON messages(state, received);
	CREATE TABLE attempts (
		message_id TEXT NOT NULL,
		time TIMESTAMPTZ NOT NULL,
		rcpt TEXT NOT NULL,
		result TEXT NOT NULL,
		reply TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX attempts_message ON attempts(message_id, time);
	CREATE TABLE audit (
		time TIMESTAMPTZ NOT NULL,
		actor TEXT NOT NULL,
		action TEXT NOT NULL,
		target TEXT NOT NULL,
		detail TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX audit_target ON audit(target, time);`,
}

// migrateLock is the pg_advisory_lock key mugai's migrations hold
// ("mugai" in ASCII), so that of several nodes starting at once one
// migrates and the others wait, then find the schema current.
const migrateLock = 0x6d75676169

// migrate applies the versions in migrations that db's
// schema_migrations table does not list, each in its own transaction
// with its row, under the advisory lock. A database whose schema is
// newer than migrations is refused: this mugai does not know its tables.
func migrate(ctx context.Context, db *sql.DB, migrations []string) (err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("meta: migrating the PostgreSQL schema: %w", err)
		}
	}()
	// The lock is the session's: take it, migrate and release it on one
	// connection.
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrateLock); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrateLock)
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		applied TIMESTAMPTZ NOT NULL DEFAULT now()
	)`); err != nil {
		return err
	}
	var have int
	if err := conn.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return err
	}
	if have > len(migrations) {
		return fmt.Errorf("the database is at version %d, this mugai knows up to %d", have, len(migrations))
	}
	for v := have + 1; v <= len(migrations); v++ {
		if err := migrateOne(ctx, conn, v, migrations[v-1]); err != nil {
			return fmt.Errorf("version %d: %w", v, err)
		}
	}
	return nil
}

func migrateOne(ctx context.Context, conn *sql.Conn, version int, stmts string) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, stmts); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, version); err != nil {
		return err
	}
	return tx.Commit()
}
