package config

import (
	"net/url"
	"strings"
)

// Cluster is what several mugai nodes share. Empty, mugai runs on one
// machine with everything in its data folder.
type Cluster struct {
	// Database is the PostgreSQL database of the relay's metadata
	// (messages, delivery attempts, the relay's audit rows), as a URL:
	// postgres://user:password@host:5432/mugai?sslmode=verify-full.
	// "" keeps them in mugai.db.
	Database string `toml:"database"`
}

// checkCluster reports a database that is not a PostgreSQL URL. The
// message never repeats the URL: it may hold a password.
func (c *Config) checkCluster(bad func(format string, a ...any)) {
	d := c.Cluster.Database
	if d == "" {
		return
	}
	u, err := url.Parse(d)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" || strings.Trim(u.Path, "/") == "" {
		bad("cluster.database: a postgres://user@host/database URL")
	}
}
