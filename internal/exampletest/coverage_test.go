package exampletest

import (
	"fmt"
	"go/ast"
	"go/build"
	"go/doc"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// exempt lists the entry points that no Example can run deterministically,
// keyed by package (its path below the module, "patchkit" for the root) and
// name ("Func" or "Type.Method"), each with the reason. Keep it short: an
// entry point that can be shown with testdata/, an in-memory fs.FS or a
// recorded runner does not belong here.
var exempt = map[string]string{
	"osdetect.Detect": "it reads the operating system of the machine it runs on (ExampleDetect, compile-only)",
	"scan.Host":       "it reads the operating system, boot time and kernel of the machine it runs on (ExampleHost, compile-only)",
}

// compileOnly lists the Examples that have no "// Output:" comment, so that
// `go test` compiles but never runs them, each with the reason.
var compileOnly = map[string]string{
	"install.ExampleInstall": "it patches the machine it runs on (as root; DryRun stops before anything changes)",
	"osdetect.ExampleDetect": "it prints the operating system of the machine it runs on",
	"scan.ExampleHost":       "it scans the packages installed on the machine it runs on",
}

// implicitMethods are the methods the standard library calls through an
// interface (error, fmt.Stringer, encoding.TextMarshaler, json.Marshaler,
// errors.Is/As/Unwrap, ...) rather than by name: an Example shows them by
// printing, comparing or encoding the value, which this test cannot see. A
// method counts as one only with the interface's parameter and result
// shape, so a method that merely shares the name is still checked.
var implicitMethods = map[string][]string{
	"Error":         {"()string"},
	"String":        {"()string"},
	"GoString":      {"()string"},
	"Format":        {"(fmt.State,rune)"},
	"Unwrap":        {"()error", "()[]error"},
	"Is":            {"(error)bool"},
	"As":            {"(any)bool"},
	"MarshalText":   {"()([]byte,error)"},
	"UnmarshalText": {"([]byte)error"},
	"AppendText":    {"([]byte)([]byte,error)"},
	"MarshalJSON":   {"()([]byte,error)"},
	"UnmarshalJSON": {"([]byte)error"},
	"LogValue":      {"()slog.Value"},
}

// entry is one exported function or method of a package.
type entry struct {
	key  string // "Func" or "Type.Method"
	name string // the function or method name
	recv string // the receiver's type name, "" for a function
	pos  token.Position
}

// pkgAPI is what the test knows about one public package.
type pkgAPI struct {
	rel        string // path below the module; "patchkit" for the root
	importPath string
	name       string // the package clause's name
	entries    []entry
	implicit   int // methods left to implicitMethods
}

// reach is what the runnable Examples of one package refer to. The match
// is by name, from the syntax alone (go/ast, no type checking): a
// function counts when an Example names it through the package's import
// (or unqualified, in the package's own test files or under a dot
// import); a method counts when an Example has a selector x.Name with its
// name, whatever x is. Two exported types of one package with a method of
// the same name are therefore covered together.
type reach struct {
	funcs   map[string]bool // package-level names used unqualified or through the package's import
	methods map[string]bool // names after a dot, x.Name, on something other than an imported package
}

func TestEveryEntryPointHasARunnableExample(t *testing.T) {
	root, module := moduleRoot(t)
	dirs := publicDirs(t, root)
	if len(dirs) == 0 {
		t.Fatalf("no public packages found below %s", root)
	}
	ctxt := build.Default
	var total, covered, implicit int
	var missing, noOutput, staleExempt, staleCompileOnly []string
	usedExempt := map[string]bool{}
	usedCompileOnly := map[string]bool{}
	skipped := map[string]bool{} // packages that did not parse (reported)
	for _, dir := range dirs {
		relDir, err := filepath.Rel(root, dir)
		if err != nil {
			t.Fatal(err)
		}
		relDir = filepath.ToSlash(relDir)
		api, tests, ok := parsePackage(t, &ctxt, dir, relDir, module)
		if !ok {
			skipped[pkgKey(relDir, module)] = true
			continue
		}
		if api == nil {
			continue
		}
		r, unrun := examplesReach(api, tests)
		for _, name := range unrun {
			key := api.rel + "." + name
			if _, ok := compileOnly[key]; ok {
				usedCompileOnly[key] = true
				continue
			}
			noOutput = append(noOutput, key)
		}
		implicit += api.implicit
		for _, e := range api.entries {
			total++
			key := api.rel + "." + e.key
			hit := r.funcs[e.name]
			if e.recv != "" {
				hit = r.methods[e.name]
			}
			if _, ok := exempt[key]; ok {
				usedExempt[key] = true
				if hit {
					staleExempt = append(staleExempt, key+" (a runnable Example calls it now)")
				}
				continue
			}
			if hit {
				covered++
				continue
			}
			missing = append(missing, fmt.Sprintf("%s (%s:%d)", key, filepath.ToSlash(mustRel(root, e.pos.Filename)), e.pos.Line))
		}
	}
	if total == 0 || covered == 0 {
		t.Fatalf("%d entry points, %d covered: the parser found nothing to check", total, covered)
	}
	for key := range exempt {
		if !usedExempt[key] && !skipped[key[:strings.Index(key, ".")]] {
			staleExempt = append(staleExempt, key+" (no such exported function or method)")
		}
	}
	for key := range compileOnly {
		if !usedCompileOnly[key] && !skipped[key[:strings.Index(key, ".")]] {
			staleCompileOnly = append(staleCompileOnly, key)
		}
	}
	t.Logf("%d exported functions and methods in %d public packages: %d called by a runnable Example, %d exempt, %d missing; %d interface methods (%s) left out",
		total, len(dirs), covered, len(usedExempt), len(missing), implicit, strings.Join(sortedKeys(implicitMethods), ", "))
	for _, list := range [][]string{missing, noOutput, staleExempt, staleCompileOnly} {
		sort.Strings(list)
	}
	if len(missing) > 0 {
		t.Errorf("%d exported functions and methods are called by no runnable Example (one with an // Output: comment) of their package:\n\t%s",
			len(missing), strings.Join(missing, "\n\t"))
	}
	if len(noOutput) > 0 {
		t.Errorf("%d Examples have no // Output: comment, so go test never runs them (give them output, or list them in compileOnly with the reason):\n\t%s",
			len(noOutput), strings.Join(noOutput, "\n\t"))
	}
	if len(staleExempt) > 0 {
		t.Errorf("exempt lists entries it should not:\n\t%s", strings.Join(staleExempt, "\n\t"))
	}
	if len(staleCompileOnly) > 0 {
		t.Errorf("compileOnly lists Examples that do not exist or now have output:\n\t%s", strings.Join(staleCompileOnly, "\n\t"))
	}
}

// moduleRoot returns the directory holding go.mod above the working
// directory, and the module path it declares.
func moduleRoot(t *testing.T) (dir, module string) {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil {
			for line := range strings.Lines(string(data)) {
				if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
					module = strings.Trim(strings.TrimSpace(rest), `"`)
					return dir, module
				}
			}
			t.Fatalf("%s: no module line", filepath.Join(dir, "go.mod"))
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// publicDirs returns the directories below root that hold Go files of a
// public package: not internal/, examples/ or testdata/, nor the hidden and
// underscore directories the go command ignores.
func publicDirs(t *testing.T, root string) []string {
	t.Helper()
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (name == "internal" || name == "examples" || name == "testdata" ||
				strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			if p != root {
				if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
					return filepath.SkipDir // another module
				}
			}
			return nil
		}
		if strings.HasSuffix(name, ".go") {
			seen[filepath.Dir(p)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	dirs := sortedKeys(seen)
	return dirs
}

// testFile is one parsed _test.go file.
type testFile struct {
	file     *ast.File
	external bool // package x_test
}

// pkgKey is a package's name in the exempt and compileOnly keys: its path
// below the module, or the module's last element for the root.
func pkgKey(relDir, module string) string {
	if relDir == "." {
		return path.Base(module)
	}
	return relDir
}

// parsePackage reads the Go files of dir that build on this platform. It
// returns a nil *pkgAPI for a directory without a non-main package, and
// ok false (after reporting the error) for one that does not parse.
func parsePackage(t *testing.T, ctxt *build.Context, dir, relDir, module string) (api *pkgAPI, tests []testFile, ok bool) {
	t.Helper()
	names, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	api = &pkgAPI{importPath: path.Join(module, relDir), rel: pkgKey(relDir, module)}
	var pkgName string
	var srcs []*ast.File
	for _, de := range names {
		name := de.Name()
		if de.IsDir() || !strings.HasSuffix(name, ".go") {
			continue
		}
		ok, err := ctxt.MatchFile(dir, name)
		if err != nil {
			t.Fatalf("%s: %v", filepath.Join(dir, name), err)
		}
		if !ok {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments)
		if err != nil {
			t.Errorf("package %s left out: %v", relDir, err)
			return nil, nil, false
		}
		if strings.HasSuffix(name, "_test.go") {
			tests = append(tests, testFile{file: f, external: strings.HasSuffix(f.Name.Name, "_test")})
			continue
		}
		pkgName = f.Name.Name
		srcs = append(srcs, f)
	}
	if len(srcs) == 0 || pkgName == "main" {
		return nil, nil, true
	}
	api.name = pkgName
	for _, f := range srcs {
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || !ast.IsExported(fd.Name.Name) {
				continue
			}
			e := entry{key: fd.Name.Name, name: fd.Name.Name, pos: fset.Position(fd.Pos())}
			if fd.Recv != nil {
				recv := receiverName(fd.Recv.List[0].Type)
				if !ast.IsExported(recv) {
					continue
				}
				if slices.Contains(implicitMethods[fd.Name.Name], signatureShape(fd.Type)) {
					api.implicit++
					continue
				}
				e.recv = recv
				e.key = recv + "." + fd.Name.Name
			}
			api.entries = append(api.entries, e)
		}
	}
	return api, tests, true
}

// receiverName returns the type name of a method's receiver: T for T, *T,
// T[P] and *T[P, Q].
func receiverName(x ast.Expr) string {
	for {
		switch y := x.(type) {
		case *ast.StarExpr:
			x = y.X
		case *ast.ParenExpr:
			x = y.X
		case *ast.IndexExpr:
			x = y.X
		case *ast.IndexListExpr:
			x = y.X
		case *ast.Ident:
			return y.Name
		default:
			return ""
		}
	}
}

// signatureShape writes a function type's parameter and result types
// without names, "(fmt.State,rune)" or "()([]byte,error)".
func signatureShape(ft *ast.FuncType) string {
	list := func(fl *ast.FieldList) []string {
		var out []string
		if fl == nil {
			return out
		}
		for _, f := range fl.List {
			n := max(len(f.Names), 1)
			for range n {
				out = append(out, typeString(f.Type))
			}
		}
		return out
	}
	s := "(" + strings.Join(list(ft.Params), ",") + ")"
	res := list(ft.Results)
	switch len(res) {
	case 0:
	case 1:
		s += res[0]
	default:
		s += "(" + strings.Join(res, ",") + ")"
	}
	return s
}

func typeString(x ast.Expr) string {
	switch y := x.(type) {
	case *ast.Ident:
		if y.Name == "interface{}" {
			return "any"
		}
		return y.Name
	case *ast.StarExpr:
		return "*" + typeString(y.X)
	case *ast.SelectorExpr:
		return typeString(y.X) + "." + y.Sel.Name
	case *ast.ArrayType:
		if y.Len == nil {
			return "[]" + typeString(y.Elt)
		}
		return "[...]" + typeString(y.Elt)
	case *ast.InterfaceType:
		if y.Methods == nil || len(y.Methods.List) == 0 {
			return "any"
		}
	}
	return fmt.Sprintf("%T", x)
}

// examplesReach collects the names the runnable Examples of a package use,
// and returns the names of the Examples that do not run.
func examplesReach(api *pkgAPI, tests []testFile) (reach, []string) {
	r := reach{funcs: map[string]bool{}, methods: map[string]bool{}}
	var unrun []string
	for _, tf := range tests {
		// The names under which this file sees the package under test:
		// unqualified inside it, else its import name.
		self := map[string]bool{}
		dot := !tf.external
		for _, is := range tf.file.Imports {
			p, err := strconv.Unquote(is.Path.Value)
			if err != nil || p != api.importPath {
				continue
			}
			switch {
			case is.Name == nil:
				self[api.name] = true
			case is.Name.Name == ".":
				dot = true
			default:
				self[is.Name.Name] = true
			}
		}
		for _, ex := range doc.Examples(tf.file) {
			if ex.Output == "" && !ex.EmptyOutput {
				unrun = append(unrun, "Example"+ex.Name)
				continue
			}
			var visit func(n ast.Node) bool
			visit = func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.SelectorExpr:
					if id, ok := x.X.(*ast.Ident); ok && self[id.Name] {
						r.funcs[x.Sel.Name] = true
						return false
					}
					r.methods[x.Sel.Name] = true
					ast.Inspect(x.X, visit)
					return false
				case *ast.Ident:
					if dot {
						r.funcs[x.Name] = true
					}
				}
				return true
			}
			ast.Inspect(ex.Code, visit)
		}
	}
	return r, unrun
}

func mustRel(root, p string) string {
	rel, err := filepath.Rel(root, p)
	if err != nil {
		return p
	}
	return rel
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestExamplesReach checks the matcher on small files: a call through the
// package's import name (also renamed), a dot import and the package's own
// test files count; a name an Example without output uses does not; a
// method counts by its name after a dot.
func TestExamplesReach(t *testing.T) {
	api := &pkgAPI{importPath: "example.com/m/pkg", name: "pkg", rel: "pkg"}
	parse := func(src string) testFile {
		f, err := parser.ParseFile(token.NewFileSet(), "x_test.go", src, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		return testFile{file: f, external: strings.HasSuffix(f.Name.Name, "_test")}
	}
	tests := []testFile{
		parse(`package pkg_test

import (
	"fmt"

	p "example.com/m/pkg"
)

func ExampleOpen() {
	s := p.Open()
	fmt.Println(s.Name())
	// Output: x
}

func ExampleClose() {
	p.Close()
}
`),
		parse(`package pkg_test

import . "example.com/m/pkg"

func ExampleRead() {
	Read()
	// Output:
}
`),
		parse(`package pkg

func ExampleWrite() {
	Write(helper())
	// Unordered output: y
}
`),
	}
	r, unrun := examplesReach(api, tests)
	for _, name := range []string{"Open", "Read", "Write", "helper"} {
		if !r.funcs[name] {
			t.Errorf("%s not reached", name)
		}
	}
	if r.funcs["Close"] || r.funcs["Println"] || r.funcs["Name"] {
		t.Errorf("funcs %v: Close is used by an Example without output; Println and Name are not the package's", sortedKeys(r.funcs))
	}
	if !r.methods["Name"] || !r.methods["Println"] {
		t.Errorf("methods %v", sortedKeys(r.methods))
	}
	if !slices.Equal(unrun, []string{"ExampleClose"}) {
		t.Errorf("unrun %q", unrun)
	}
}

// TestSignatureShape checks the shapes implicitMethods compares.
func TestSignatureShape(t *testing.T) {
	for src, want := range map[string]string{
		"func (T) String() string":                       "()string",
		"func (T) Format(f fmt.State, verb rune)":        "(fmt.State,rune)",
		"func (T) MarshalText() ([]byte, error)":         "()([]byte,error)",
		"func (*T) UnmarshalJSON(b []byte) error":        "([]byte)error",
		"func (T) As(target interface{}) bool":           "(any)bool",
		"func (T) Unwrap() []error":                      "()[]error",
		"func (T) Is(a, b error) bool":                   "(error,error)bool",
		"func (T) LogValue() slog.Value":                 "()slog.Value",
		"func (T) String(prefix string) string":          "(string)string",
		"func (T) Error() (string, bool)":                "()(string,bool)",
		"func (T) MarshalJSON() (out []byte, err error)": "()([]byte,error)",
	} {
		f, err := parser.ParseFile(token.NewFileSet(), "x.go", "package p\n"+src+" { panic(0) }\n", 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := signatureShape(f.Decls[0].(*ast.FuncDecl).Type); got != want {
			t.Errorf("%s: %s, want %s", src, got, want)
		}
	}
}
