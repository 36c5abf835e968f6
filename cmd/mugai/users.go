package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/mugai-project/mugai/internal/app"
	"github.com/mugai-project/mugai/internal/auth"
	"github.com/mugai-project/mugai/internal/config"
)

// dataDirFlags adds -data and -config to each flag set (the command's
// and its subcommand's, so that either place takes them) and returns
// the configuration they name: the -config file (the one `mugai serve`
// runs with, as for `mugai quarantine` and `mugai queue`), whose
// cluster.database is then the database used, with its data_dir unless
// -data names one; without -config, -data, else $MUGAI_DATA, else
// ./data as `mugai serve` without a config file.
func dataDirFlags(sets ...*flag.FlagSet) func() (config.Config, error) {
	var data, file string
	for _, fs := range sets {
		fs.StringVar(&data, "data", "", "data folder (holds mugai.db); default: the -config file's data_dir, else $MUGAI_DATA, else ./data")
		fs.StringVar(&file, "config", "", "configuration file whose data_dir and cluster.database to use")
	}
	return func() (config.Config, error) {
		c := config.Default()
		if file != "" {
			var err error
			if c, err = loadConfig(file); err != nil {
				return c, err
			}
		} else if os.Getenv("MUGAI_DATA") != "" {
			c.DataDir = os.Getenv("MUGAI_DATA")
		}
		if data != "" {
			c.DataDir = data
		}
		return c, nil
	}
}

// openUsers opens the user table in c's database.
func openUsers(ctx context.Context, c *config.Config) (*auth.Local, func(), error) {
	db, err := app.OpenDB(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	l, err := auth.NewLocal(ctx, db, auth.Options{})
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return l, func() { db.Close() }, nil
}

// readPassword reads one line from stdin: the password, typed or piped
// (`printf '%s\n' "$PW" | mugai users add alice`), never an argument, so
// that it does not show in the process list or the shell history.
func readPassword(stdin io.Reader, stderr io.Writer, prompt string) (string, error) {
	fmt.Fprint(stderr, prompt)
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", errors.New("no password on standard input")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// runUsers implements `mugai users add|passwd|disable|enable|unlock|list`.
func runUsers(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runUsersIO(ctx, args, os.Stdin, stdout, stderr)
}

func runUsersIO(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	usage := func() {
		fmt.Fprintln(stderr, `usage: mugai users [-data DIR | -config FILE] COMMAND (the flags also after COMMAND)
  add [-role user|approver|admin] [-name DISPLAY] [-department DEPT] [-mail ADDR] USER
                                                         create a user; the password is read from standard input
  mail USER ADDR                                         set the address mugai's notifications go to ("" for none:
                                                         they go to USER at the domain of the mail they are about)
  passwd USER                                            set a new password (read from standard input); ends the user's sessions
  role USER ROLE                                         change the role
  disable USER | enable USER                             refuse or allow the user's logins; disabling ends its sessions
  unlock USER                                            clear a lockout after failed logins
  list                                                   list the users (directory users once they signed in)`)
	}
	fs := flag.NewFlagSet("users", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = usage
	sub := flag.NewFlagSet("users COMMAND", flag.ContinueOnError)
	sub.SetOutput(stderr)
	dataDir := dataDirFlags(fs, sub)
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	rest := fs.Args()
	if len(rest) == 0 {
		usage()
		return exitUsage
	}
	cmd, rest := rest[0], rest[1:]
	role := sub.String("role", "user", "role: user, approver or admin")
	display := sub.String("name", "", "display name")
	dept := sub.String("department", "", "department, which chooses the policy of what the user receives")
	addr := sub.String("mail", "", "mail address, where mugai's notifications go")
	if err := sub.Parse(rest); err != nil {
		return exitUsage
	}
	rest = sub.Args()
	want := map[string]int{"add": 1, "passwd": 1, "role": 2, "mail": 2, "disable": 1, "enable": 1, "unlock": 1, "list": 0}
	n, ok := want[cmd]
	if !ok || len(rest) != n {
		usage()
		return exitUsage
	}
	c, err := dataDir()
	if err != nil {
		fmt.Fprintf(stderr, "mugai users: %v\n", err)
		return exitUsage
	}
	l, closeDB, err := openUsers(ctx, &c)
	if err != nil {
		fmt.Fprintf(stderr, "mugai users: %v\n", err)
		return exitInternal
	}
	defer closeDB()
	switch cmd {
	case "add", "passwd":
		pw, perr := readPassword(stdin, stderr, fmt.Sprintf("password for %s (at least %d characters): ", rest[0], auth.MinPasswordLen))
		if perr != nil {
			err = perr
			break
		}
		if cmd == "add" {
			err = l.Add(ctx, auth.User{Name: rest[0], DisplayName: *display, Role: auth.Role(*role), Department: *dept, Mail: *addr}, pw)
		} else {
			err = l.SetPassword(ctx, rest[0], pw)
		}
	case "role":
		err = l.SetRole(ctx, rest[0], auth.Role(rest[1]))
	case "mail":
		err = l.SetMail(ctx, rest[0], rest[1])
	case "disable", "enable":
		err = l.SetDisabled(ctx, rest[0], cmd == "disable")
	case "unlock":
		err = l.Unlock(ctx, rest[0])
	case "list":
		var users []auth.User
		users, err = l.Users(ctx)
		if err == nil {
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "USER\tROLE\tSTATE\tSOURCE\tDEPARTMENT\tMAIL\tDISPLAY NAME\tCREATED")
			for _, u := range users {
				state := "active"
				switch {
				case u.Disabled:
					state = "disabled"
				case !u.LockedUntil.IsZero():
					state = "locked until " + u.LockedUntil.Local().Format("2006-01-02 15:04")
				}
				source := "local"
				if u.Directory {
					source = "directory"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.Name, u.Role, state, source, u.Department, u.Mail, u.DisplayName, u.Created.Local().Format("2006-01-02"))
			}
			tw.Flush()
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "\nmugai users %s: %v\n", cmd, err)
		if errors.Is(err, auth.ErrInvalidName) || errors.Is(err, auth.ErrWeakPassword) || errors.Is(err, auth.ErrNoUser) || errors.Is(err, auth.ErrExists) || errors.Is(err, auth.ErrInvalidMail) {
			return exitUsage
		}
		return exitInternal
	}
	if cmd != "list" {
		fmt.Fprintf(stderr, "\nmugai users %s: done\n", cmd)
	}
	return exitOK
}
