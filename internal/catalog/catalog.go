// Package catalog holds every word of mugai that a person reads: the
// reasons in reports, the notice at the top of a sanitized mail, the web
// pages, the mails the relay writes (DSNs, withheld-message notices) and
// the command line summary.
//
// Each language is one embedded TOML file named after its BCP 47 tag
// (ja.toml, en.toml). Japanese is the source language: every key it
// defines must exist in every other file, and a language without a file,
// or a key missing from one, falls back to Japanese. Adding a language is
// adding a file; no code changes.
//
// A key is a dotted path ("reason.encrypted", "page.login"). Its value is
// a format string for [fmt.Sprintf]; a translation may reorder the
// arguments with explicit indexes (%[2]s). A value may instead be a table
// of CLDR plural forms (zero, one, two, few, many, other), chosen by the
// count given to [N]; "other" is required.
package catalog

import (
	"embed"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

// The two languages every page, notice and mail is written in.
const (
	Japanese = "ja"
	English  = "en"
)

//go:embed *.toml
var files embed.FS

// message is one key's words in one language: a plain format string, or
// one per plural form.
type message struct {
	text  string
	forms map[plural.Form]string
}

// other is the message's words when no count chooses a form.
func (m message) other() string {
	if m.forms != nil {
		return m.forms[plural.Other]
	}
	return m.text
}

type lang struct {
	tag  language.Tag
	msgs map[string]message
}

// catalog is every language's messages, parsed once from the embedded
// files and never changed after.
type catalog struct {
	langs map[string]*lang
	keys  []string // the Japanese keys, sorted
}

var load = sync.OnceValues(func() (*catalog, error) {
	return parse(files)
})

// get returns the parsed catalog. The files are embedded and checked by
// the package's tests, so a parse error is a build defect: it panics at
// the first use rather than showing people a half-empty page.
func get() *catalog {
	c, err := load()
	if err != nil {
		panic(err)
	}
	return c
}

func parse(fsys embed.FS) (*catalog, error) {
	names, err := fsys.ReadDir(".")
	if err != nil {
		return nil, err
	}
	c := &catalog{langs: map[string]*lang{}}
	for _, n := range names {
		code := strings.TrimSuffix(n.Name(), path.Ext(n.Name()))
		tag, err := language.Parse(code)
		if err != nil {
			return nil, fmt.Errorf("catalog: %s: %w", n.Name(), err)
		}
		var raw map[string]any
		if _, err := toml.DecodeFS(fsys, n.Name(), &raw); err != nil {
			return nil, fmt.Errorf("catalog: %w", err)
		}
		l := &lang{tag: tag, msgs: map[string]message{}}
		if err := flatten(l.msgs, "", raw); err != nil {
			return nil, fmt.Errorf("catalog: %s: %w", n.Name(), err)
		}
		c.langs[code] = l
	}
	ja, ok := c.langs[Japanese]
	if !ok {
		return nil, fmt.Errorf("catalog: no %s.toml", Japanese)
	}
	c.keys = slices.Sorted(maps.Keys(ja.msgs))
	return c, nil
}

// pluralForms names the CLDR plural categories as they are written in
// the files.
var pluralForms = map[string]plural.Form{
	"zero": plural.Zero, "one": plural.One, "two": plural.Two,
	"few": plural.Few, "many": plural.Many, "other": plural.Other,
}

// flatten turns nested TOML tables into dotted keys. A table whose keys
// are all plural forms is one message.
func flatten(out map[string]message, prefix string, t map[string]any) error {
	for k, v := range t {
		key := prefix + k
		switch v := v.(type) {
		case string:
			out[key] = message{text: v}
		case map[string]any:
			if forms, ok := pluralTable(v); ok {
				if _, ok := forms[plural.Other]; !ok {
					return fmt.Errorf("%s: plural forms without \"other\"", key)
				}
				out[key] = message{forms: forms}
				continue
			}
			if err := flatten(out, key+".", v); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: a %T, want a string or a table", key, v)
		}
	}
	return nil
}

func pluralTable(t map[string]any) (map[plural.Form]string, bool) {
	forms := map[plural.Form]string{}
	for k, v := range t {
		f, ok := pluralForms[k]
		s, isString := v.(string)
		if !ok || !isString {
			return nil, false
		}
		forms[f] = s
	}
	return forms, len(forms) > 0
}

// lookup finds key in language code, falling back to Japanese.
func (c *catalog) lookup(code, key string) (*lang, message, bool) {
	if l, ok := c.langs[code]; ok {
		if m, ok := l.msgs[key]; ok {
			return l, m, true
		}
	}
	l := c.langs[Japanese]
	m, ok := l.msgs[key]
	return l, m, ok
}

// Text returns the words of key in language lang, formatted with args.
// An unknown language reads Japanese; an unknown key reads as the key
// itself, so a missing word shows rather than vanishes (the tests keep
// every used key defined).
func Text(lang, key string, args ...any) string {
	_, m, ok := get().lookup(lang, key)
	if !ok {
		return key
	}
	return format(m.other(), args)
}

// N returns the words of key in language lang for the count n: the
// plural form the language's CLDR rules give n, formatted with n and then
// args (so the count is the first argument, %[1]d).
func N(lang, key string, n int, args ...any) string {
	l, m, ok := get().lookup(lang, key)
	if !ok {
		return key
	}
	s := m.other()
	if m.forms != nil {
		i := n
		if i < 0 {
			i = -i
		}
		f := plural.Cardinal.MatchPlural(l.tag, i%10_000_000, 0, 0, 0, 0)
		if fs, ok := m.forms[f]; ok {
			s = fs
		}
	}
	return format(s, append([]any{n}, args...))
}

func format(s string, args []any) string {
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// Has reports whether key is in the catalog.
func Has(key string) bool {
	_, ok := get().langs[Japanese].msgs[key]
	return ok
}

// Languages returns the language codes that have a file, Japanese first.
func Languages() []string {
	c := get()
	out := []string{Japanese}
	for _, code := range slices.Sorted(maps.Keys(c.langs)) {
		if code != Japanese {
			out = append(out, code)
		}
	}
	return out
}

// Supported reports whether lang has its own file.
func Supported(lang string) bool {
	_, ok := get().langs[lang]
	return ok
}
