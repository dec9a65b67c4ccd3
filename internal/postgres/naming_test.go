package postgres

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

// TestNamingRule holds the package to the rule in its comment: a building
// block that takes a transaction is a *Tx method or unexported, never an
// exported function with a *Tx parameter; and an exported (*DB) method
// acts as the caller under its plain name, with no As.
func TestNamingRule(t *testing.T) {
	t.Parallel()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || !fn.Name.IsExported() {
				continue
			}
			pos := fset.Position(fn.Pos())
			switch {
			case fn.Recv == nil && takesTx(fn):
				t.Errorf("%s: %s takes a *Tx: make it a *Tx method if another package needs it in a transaction, or unexport it", pos, fn.Name.Name)
			case fn.Recv != nil && isDB(fn.Recv) && strings.HasSuffix(fn.Name.Name, "As"):
				t.Errorf("%s: (*DB).%s: every exported (*DB) method acts as the caller; name it %s", pos, fn.Name.Name, strings.TrimSuffix(fn.Name.Name, "As"))
			}
		}
	}
}

// takesTx reports whether one of fn's parameters is a *Tx.
func takesTx(fn *ast.FuncDecl) bool {
	for _, p := range fn.Type.Params.List {
		if isPtrTo(p.Type, "Tx") {
			return true
		}
	}
	return false
}

// isDB reports whether a receiver is a DB or a *DB.
func isDB(recv *ast.FieldList) bool {
	t := recv.List[0].Type
	if id, ok := t.(*ast.Ident); ok {
		return id.Name == "DB"
	}
	return isPtrTo(t, "DB")
}

func isPtrTo(t ast.Expr, name string) bool {
	star, ok := t.(*ast.StarExpr)
	if !ok {
		return false
	}
	id, ok := star.X.(*ast.Ident)
	return ok && id.Name == name
}
