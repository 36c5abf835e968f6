package meta

import (
	"context"
	"database/sql"
)

// Column is a column added to a table after the table's first release,
// with its SQL declaration ("TEXT NOT NULL DEFAULT ”", or a Schema type
// word such as "{bool}").
type Column struct{ Name, Decl string }

// queryer is a pool or one of its connections.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// addColumns adds to each table those of its columns it lacks, so that
// a database made by an older mugai gains them in place: PostgreSQL's
// ADD COLUMN IF NOT EXISTS, SQLite's table_info first.
func (d *DB) addColumns(ctx context.Context, q queryer, tables map[string][]Column) error {
	for table, cols := range tables {
		have := map[string]bool{}
		if !d.pg {
			var err error
			if have, err = sqliteColumns(ctx, q, table); err != nil {
				return err
			}
		}
		for _, c := range cols {
			if have[c.Name] {
				continue
			}
			add := `ALTER TABLE ` + table + ` ADD COLUMN `
			if d.pg {
				add += `IF NOT EXISTS `
			}
			if _, err := q.ExecContext(ctx, add+c.Name+` `+d.ddl(c.Decl)); err != nil {
				return err
			}
		}
	}
	return nil
}

func sqliteColumns(ctx context.Context, q queryer, table string) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		have[n] = true
	}
	return have, rows.Err()
}
