package meta

import (
	"context"
	"database/sql"
)

// Column is a column added to a table after the table's first release,
// with its SQL declaration ("TEXT NOT NULL DEFAULT ”").
type Column struct{ Name, Decl string }

// AddColumns adds to the SQLite table those of cols it lacks, so that a
// database made by an older mugai gains them in place.
func AddColumns(ctx context.Context, db *sql.DB, table string, cols []Column) error {
	rows, err := db.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		have[n] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, c := range cols {
		if !have[c.Name] {
			if _, err := db.ExecContext(ctx, `ALTER TABLE `+table+` ADD COLUMN `+c.Name+` `+c.Decl); err != nil {
				return err
			}
		}
	}
	return nil
}
