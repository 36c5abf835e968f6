package main

import (
	"context"
	"fmt"
	"io"
)

// runServe will run the SMTP relay and the two transfer sites. Until they
// exist it says so, and points to what works today.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stdout, "mugai serve: the SMTP relay (smtpproxy) and the transfer sites are not built yet.")
	fmt.Fprintln(stdout, "The sanitizer works today: mugai sanitize -o OUTDIR FILE...")
	return exitOK
}
