package pdf_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestFlattenReachesNoPDFCPU proves from the source that the flatten path
// never runs pdfcpu in mugai's process: from the handler's flatten method,
// following every call to a function or method of this package (any call
// whose name matches one, an over-approximation), it reaches no function
// declared in a file that imports pdfcpu, and calls nothing of pdfcpu
// directly.
func TestFlattenReachesNoPDFCPU(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	type fn struct {
		file   string
		pdfcpu bool // the file imports pdfcpu
		calls  []string
	}
	funcs := map[string][]fn{} // by name: methods and functions alike
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		imports := map[string]string{} // local name → path
		usesPDFCPU := false
		for _, im := range f.Imports {
			path, _ := strconv.Unquote(im.Path.Value)
			local := filepath.Base(path)
			if im.Name != nil {
				local = im.Name.Name
			}
			imports[local] = path
			usesPDFCPU = usesPDFCPU || strings.HasPrefix(path, "github.com/pdfcpu/")
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			var calls []string
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.CallExpr:
					switch f := x.Fun.(type) {
					case *ast.Ident:
						calls = append(calls, f.Name)
					case *ast.SelectorExpr:
						if id, ok := f.X.(*ast.Ident); ok && imports[id.Name] != "" {
							calls = append(calls, imports[id.Name]+"."+f.Sel.Name)
						} else {
							calls = append(calls, f.Sel.Name)
						}
					}
				case *ast.Ident:
					// A function used as a value may be called later.
					calls = append(calls, x.Name)
				}
				return true
			})
			funcs[fd.Name.Name] = append(funcs[fd.Name.Name], fn{file: name, pdfcpu: usesPDFCPU, calls: calls})
		}
	}
	if len(funcs["flatten"]) != 1 {
		t.Fatalf("found %d functions named flatten, want the handler's one", len(funcs["flatten"]))
	}
	seen := map[string]bool{}
	queue := []string{"flatten"}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if seen[name] {
			continue
		}
		seen[name] = true
		for _, f := range funcs[name] {
			if f.pdfcpu {
				t.Errorf("flatten reaches %s in %s, a file that uses pdfcpu", name, f.file)
			}
			for _, c := range f.calls {
				if strings.HasPrefix(c, "github.com/pdfcpu/") {
					t.Errorf("flatten reaches a call of %s in %s", c, name)
				}
				if _, local := funcs[c]; local && !seen[c] {
					queue = append(queue, c)
				}
			}
		}
	}
	for _, must := range []string{"Inspect", "Disarm", "read", "prescan"} {
		if seen[must] {
			t.Errorf("flatten reaches %s", must)
		}
	}
	if !slices.Contains(funcs["flatten"][0].calls, "FlattenPDF") {
		t.Error("flatten does not call the Flattener")
	}
}
