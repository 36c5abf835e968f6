package catalog

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// root is the module's folder, from this package's.
const root = "../.."

// sourceFiles returns the module's non-test Go files and its page
// templates and scripts, by path relative to root.
func sourceFiles(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if rel == "fixtures" || rel == "bench" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && rel != "." {
				return filepath.SkipDir
			}
			return nil
		}
		switch ext := filepath.Ext(p); {
		case ext == ".go" && !strings.HasSuffix(p, "_test.go"), ext == ".html", ext == ".js":
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[filepath.ToSlash(rel)] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// families are the keys built at run time from a code: the key less
// strip is the code. Such a key is used when its code is a string
// literal somewhere in the module (the constant that names it).
var families = []struct{ prefix, strip string }{
	{"reason.", "reason."},                           // sanitizer.NewReason: the Reason* codes
	{"report.kind.", "report.kind."},                 // transfer.reportLines: detect.Kind
	{"report.action.", "report.action."},             // transfer.reportLines: sanitizer.Action
	{"report.removed_what.", "report.removed_what."}, // transfer.reportLines: Removal.What
	{"report.finding_code.", "report.finding_code."}, // transfer.reportLines: detect.Finding codes
	{"notice.action.", "notice.action."},             // mail.actionKey: sanitizer.Action
	{"page.state.", "page.state."},                   // transfer.view: the item states
	{"page.approval.", "page.approval."},             // transfer.view: the approval states
	{"page.err_", "page."},                           // transfer.uploadError: its key, also the audit outcome
}

// TestEveryKeyIsUsed: a key whose words nothing shows is dead wording;
// remove it from every file.
func TestEveryKeyIsUsed(t *testing.T) {
	var all strings.Builder
	for _, s := range sourceFiles(t) {
		all.WriteString(s)
	}
	src := all.String()
	quoted := func(s string) bool { return strings.Contains(src, `"`+s+`"`) }
	for _, k := range get().keys {
		if quoted(k) {
			continue
		}
		used := false
		for _, f := range families {
			if strings.HasPrefix(k, f.prefix) && quoted(strings.TrimPrefix(k, f.strip)) {
				used = true
			}
		}
		if !used {
			t.Errorf("%q is not used", k)
		}
	}
}

// wordPackages are the folders whose words people read; all of them
// must come from the catalog.
var wordPackages = []string{"sanitizer", "sanitizer/mail", "transfer", "transfer/templates", "transfer/static", "smtpproxy", "cmd/mugai"}

// notWords are Japanese literals in those folders that are not words to
// translate, by file.
var notWords = map[string][]string{
	"transfer/db.go":                 {"'、'"}, // a separator people type in a recipient list
	"transfer/templates/layout.html": {"無害"},  // the product's mark
}

func japanese(s string) bool {
	for _, r := range s {
		if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) {
			return true
		}
	}
	return false
}

// TestNoWordsOutsideCatalog: no Japanese string literal (Go) or text
// (templates, scripts) is left in the packages people read, so the
// catalog is the one place wording is reviewed and translated. Comments
// may speak Japanese.
func TestNoWordsOutsideCatalog(t *testing.T) {
	files := sourceFiles(t)
	for path, src := range files {
		if !slices.Contains(wordPackages, filepath.ToSlash(filepath.Dir(path))) {
			continue
		}
		var found []string
		if strings.HasSuffix(path, ".go") {
			f, err := parser.ParseFile(token.NewFileSet(), path, src, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && (lit.Kind == token.STRING || lit.Kind == token.CHAR) && japanese(lit.Value) {
					found = append(found, lit.Value)
				}
				return true
			})
		} else {
			for _, line := range strings.Split(src, "\n") {
				if japanese(line) {
					found = append(found, strings.TrimSpace(line))
				}
			}
		}
		for _, s := range found {
			if !allowed(path, s) {
				t.Errorf("%s: %s: words people read belong in internal/catalog", path, s)
			}
		}
	}
}

func allowed(path, s string) bool {
	for _, w := range notWords[path] {
		if strings.Contains(s, w) && !japanese(strings.ReplaceAll(s, w, "")) {
			return true
		}
	}
	return false
}

// keyLiteral is a quoted string that looks like a catalog key: one of the
// catalog's sections, a dot, and more.
var keyLiteral = regexp.MustCompile(`"((?:language|list|reason|summary|notice|relay|page|report)\.[a-z0-9_.-]*)"`)

// TestEveryUsedKeyExists: a key named in code or a template is in the
// catalog, so no page shows a bare key. Literals ending in "." or "_"
// are the prefixes of the families above.
func TestEveryUsedKeyExists(t *testing.T) {
	for path, src := range sourceFiles(t) {
		for _, m := range keyLiteral.FindAllStringSubmatch(src, -1) {
			k := m[1]
			if strings.HasSuffix(k, ".") || strings.HasSuffix(k, "_") {
				continue
			}
			if !Has(k) {
				t.Errorf("%s: %q is not in the catalog", path, k)
			}
		}
	}
}
