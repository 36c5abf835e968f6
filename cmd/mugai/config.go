package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/mugai-project/mugai/internal/app"
	"github.com/mugai-project/mugai/internal/config"
)

// runConfig implements `mugai config check [-config FILE]` and
// `mugai config example`.
func runConfig(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("config", "", "configuration file; default: the built-in defaults")
	fs.Usage = func() { fmt.Fprintln(stderr, "usage: mugai config check [-config FILE] | mugai config example") }
	// -config goes before or after the subcommand.
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitUsage
	}
	sub := fs.Arg(0)
	if err := fs.Parse(fs.Args()[1:]); err != nil {
		return exitUsage
	}
	switch sub {
	case "example":
		io.WriteString(stdout, config.Example())
		return exitOK
	case "check":
		c, err := loadConfig(*file)
		if err == nil {
			err = app.Check(&c)
		}
		if err != nil {
			fmt.Fprintf(stderr, "mugai config: %v\n", err)
			return exitUsage
		}
		fmt.Fprintf(stdout, "ok: SMTP %s for %v, data in %s, delivery to %s\n", c.SMTP.Listen, c.SMTP.Domains, c.DataDir, app.DeliveryTarget(&c))
		return exitOK
	}
	fmt.Fprintf(stderr, "mugai config: unknown subcommand %q\n", sub)
	return exitUsage
}

// loadConfig reads file, or returns the defaults for "".
func loadConfig(file string) (config.Config, error) {
	if file == "" {
		c := config.Default()
		return c, c.Check()
	}
	return config.Load(file)
}
