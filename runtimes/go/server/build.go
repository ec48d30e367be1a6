package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// The function's package: with a (non-empty) go.mod, every .go file of the volume's root (and its
// sub-packages); without one, <MOD_NAME>.go alone. Each is built in its own folder under
// <volume>/.kubeless-go, holding a copy of the function (function/), of the runtime (the server's
// sources and the functions module), the generated go.mod and the binary, with a stamp of the
// sources it was built from so that an unchanged function is not built again.

const (
	workDir      = ".kubeless-go"
	binaryName   = "function-server"
	stampName    = "stamp"
	serverModule = "kubeless.io/function-server"
	kubelessPath = "github.com/kubeless/kubeless"
	// The file generated into the user's package: it registers every top-level function by name.
	registryFile = "zz_kubeless_functions.go"
	registryVar  = "KubelessRuntimeFunctions"
)

// target is one build: the whole package (go.mod present) or a single file.
type target struct {
	cfg    config
	files  []string // root .go files of the package (relative), empty for the whole tree
	dir    string   // the build folder
	hasMod bool
}

func hasGoMod(volume string) bool {
	info, err := os.Stat(filepath.Join(volume, "go.mod"))
	return err == nil && info.Size() > 0 && strings.TrimSpace(readText(filepath.Join(volume, "go.mod"))) != ""
}

func readText(path string) string {
	data, _ := os.ReadFile(path)
	return string(data)
}

// rootGoFiles lists the volume's top-level .go files (tests excluded).
func rootGoFiles(volume string) []string {
	entries, _ := os.ReadDir(volume)
	var files []string
	for _, entry := range entries {
		name := entry.Name()
		if entry.Type().IsRegular() && strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") &&
			!strings.HasPrefix(name, ".") && !strings.HasPrefix(name, "_") {
			files = append(files, name)
		}
	}
	return files
}

// functionTarget is the build serving MOD_NAME; an error when there is nothing to build.
func functionTarget(cfg config) (*target, error) {
	if hasGoMod(cfg.volume) {
		if len(rootGoFiles(cfg.volume)) == 0 {
			return nil, fmt.Errorf("Module %s not found: no .go file in %s", cfg.module, cfg.volume)
		}
		if _, err := os.Stat(filepath.Join(cfg.volume, cfg.module+".go")); err != nil && cfg.module != "" {
			logf("No %s.go in %s: serving %s from the package of all its .go files", cfg.module, cfg.volume, cfg.handler)
		}
		return &target{cfg: cfg, dir: filepath.Join(cfg.volume, workDir, "package"), hasMod: true}, nil
	}
	file := cfg.module + ".go"
	if info, err := os.Stat(filepath.Join(cfg.volume, file)); err != nil || !info.Mode().IsRegular() {
		return nil, fmt.Errorf("Module %s not found: %s does not exist", cfg.module, filepath.Join(cfg.volume, file))
	}
	return &target{cfg: cfg, files: []string{file}, dir: filepath.Join(cfg.volume, workDir, "file-"+cfg.module)}, nil
}

// binary is the function server this target builds.
func (t *target) binary() string {
	return filepath.Join(t.dir, binaryName)
}

// goSource tells whether a file takes part in a Go build (the stamp and the copy only look at
// these, so that files a function writes into the volume do not cause a rebuild).
func goSource(name string) bool {
	switch filepath.Ext(name) {
	case ".go", ".s", ".S", ".c", ".h", ".cc", ".cpp", ".cxx", ".hh", ".hpp", ".hxx", ".syso", ".mod", ".sum":
		return !strings.HasSuffix(name, "_test.go")
	}
	return name == "go.mod" || name == "go.sum"
}

// functionFiles lists the function's sources, relative to the volume.
func (t *target) functionFiles() ([]string, error) {
	if !t.hasMod {
		return t.files, nil
	}
	var files []string
	err := filepath.WalkDir(t.cfg.volume, func(path string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := entry.Name()
		if path != t.cfg.volume && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata") {
			if entry.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if entry.Type().IsRegular() && goSource(name) {
			rel, _ := filepath.Rel(t.cfg.volume, path)
			files = append(files, rel)
		}
		return nil
	})
	sort.Strings(files)
	return files, err
}

// stamp identifies the sources of a build: the runtime's and the function's.
func (t *target) stamp(files []string) string {
	hash := sha256.New()
	add := func(label, path string) {
		data, err := os.ReadFile(path)
		if err != nil {
			data = []byte("(unreadable)")
		}
		fmt.Fprintf(hash, "%s %s %d\n", label, filepath.ToSlash(path), len(data))
		hash.Write(data)
	}
	for _, file := range runtimeSources(t.cfg.runtimeDir) {
		add("runtime", file)
	}
	for _, file := range files {
		add("function", filepath.Join(t.cfg.volume, file))
	}
	return hex.EncodeToString(hash.Sum(nil))
}

// runtimeSources lists the runtime's own Go sources: server/*.go and the functions module.
func runtimeSources(runtimeDir string) []string {
	var files []string
	server, _ := filepath.Glob(filepath.Join(runtimeDir, "server", "*.go"))
	for _, file := range server {
		if !strings.HasSuffix(file, "_test.go") {
			files = append(files, file)
		}
	}
	_ = filepath.WalkDir(filepath.Join(runtimeDir, "kubeless"), func(path string, entry fs.DirEntry, err error) error {
		if err == nil && entry.Type().IsRegular() {
			files = append(files, path)
		}
		return nil
	})
	sort.Strings(files)
	return files
}

// upToDate tells whether the binary was built from the current sources.
func (t *target) upToDate() bool {
	files, err := t.functionFiles()
	if err != nil {
		return false
	}
	if _, err := os.Stat(t.binary()); err != nil {
		return false
	}
	return readText(filepath.Join(t.dir, stampName)) == t.stamp(files)
}

// buildError is a function that does not build: the reason is what /healthz answers.
type buildError struct{ output string }

func (e *buildError) Error() string { return e.output }

// build assembles the build folder and compiles the function server. A *buildError is the
// function's fault (compiler or module errors); any other error is the runtime's.
func (t *target) build(tool *goTool) error {
	files, err := t.functionFiles()
	if err != nil {
		return err
	}
	stamp := t.stamp(files)
	if err := os.RemoveAll(t.dir); err != nil {
		return err
	}
	fnDir := filepath.Join(t.dir, "function")
	for _, file := range files {
		if err := copyFile(filepath.Join(t.cfg.volume, file), filepath.Join(fnDir, file)); err != nil {
			return err
		}
	}
	if !t.hasMod {
		// A single file: its own module, on the language version of the toolchain.
		if err := os.WriteFile(filepath.Join(fnDir, "go.mod"), []byte("module function\n\ngo "+tool.languageVersion()+"\n"), 0o644); err != nil {
			return err
		}
	}
	mod, err := tool.readModFile(filepath.Join(fnDir, "go.mod"))
	if err != nil {
		return &buildError{"go.mod of the function is not valid:\n" + err.Error()}
	}
	if err := copyTree(filepath.Join(t.cfg.runtimeDir, "kubeless"), filepath.Join(t.dir, "kubeless")); err != nil {
		return err
	}
	for _, file := range runtimeSources(t.cfg.runtimeDir) {
		if filepath.Base(filepath.Dir(file)) == "server" {
			if err := copyFile(file, filepath.Join(t.dir, filepath.Base(file))); err != nil {
				return err
			}
		}
	}
	pkg, err := writeRegistry(fnDir)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(t.dir, "function_gen.go"), []byte(functionGlue(mod.Module.Path, pkg)), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(t.dir, "go.mod"), []byte(serverGoMod(mod, tool.languageVersion())), 0o644); err != nil {
		return err
	}
	if sum, err := os.ReadFile(filepath.Join(fnDir, "go.sum")); err == nil {
		_ = os.WriteFile(filepath.Join(t.dir, "go.sum"), sum, 0o644)
	}
	if out, err := tool.run(t.dir, "mod", "tidy"); err != nil {
		return &buildError{"The function's modules could not be resolved (go mod tidy):\n" + out}
	}
	if out, err := tool.run(t.dir, "build", "-trimpath", "-ldflags=-s -w", "-o", binaryName+".new", "."); err != nil {
		return &buildError{"The function does not compile (go build; function/ holds the files of " + t.cfg.volume + "):\n" + out}
	}
	if err := os.Rename(filepath.Join(t.dir, binaryName+".new"), t.binary()); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(t.dir, stampName), []byte(stamp), 0o644)
}

// writeRegistry generates, inside the user's package, a map of its top-level functions by name,
// exported or not, so that FUNC_HANDLER can name any of them. It returns the package name.
func writeRegistry(dir string) (string, error) {
	pkg, err := build.Default.ImportDir(dir, 0)
	var noGo *build.NoGoError
	if errors.As(err, &noGo) {
		return "", &buildError{"No Go file in the function's package"}
	}
	if err != nil && pkg.Name == "" {
		return "", &buildError{err.Error()}
	}
	var names []string
	fset := token.NewFileSet()
	for _, file := range pkg.GoFiles {
		parsed, err := parser.ParseFile(fset, filepath.Join(dir, file), nil, parser.SkipObjectResolution)
		if err != nil {
			continue // the compiler reports it
		}
		for _, decl := range parsed.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if ok && fn.Recv == nil && fn.Type.TypeParams == nil && fn.Name.Name != "init" && fn.Name.Name != "_" {
				names = append(names, fn.Name.Name)
			}
		}
	}
	var src bytes.Buffer
	fmt.Fprintf(&src, "// Generated by the Kubeless Go runtime: the package's functions by name.\n\npackage %s\n\n", pkg.Name)
	fmt.Fprintf(&src, "var %s = map[string]interface{}{\n", registryVar)
	for _, name := range names {
		fmt.Fprintf(&src, "\t%q: %s,\n", name, name)
	}
	src.WriteString("}\n")
	return pkg.Name, os.WriteFile(filepath.Join(dir, registryFile), src.Bytes(), 0o644)
}

// functionGlue is the server's file that links the user's package in.
func functionGlue(modulePath, pkg string) string {
	return fmt.Sprintf(`// Generated by the Kubeless Go runtime: links the function's package (%s) in.

package main

import function %q

func init() {
	functionModule = %q
	functionsByName = function.%s
}
`, pkg, modulePath, modulePath, registryVar)
}

// modFile is what "go mod edit -json" tells of a go.mod.
type modFile struct {
	Module  struct{ Path string }
	Go      string
	Replace []struct {
		Old struct{ Path, Version string }
		New struct{ Path, Version string }
	}
}

// serverGoMod is the build's main module: the server, requiring the function's module and the
// functions module, both replaced by their copies; the function's own replacements carried over.
func serverGoMod(mod *modFile, goVersion string) string {
	version := goVersion
	if mod.Go != "" && versionLess(version, mod.Go) {
		version = mod.Go
	}
	var out strings.Builder
	fmt.Fprintf(&out, "module %s\n\ngo %s\n\n", serverModule, version)
	fmt.Fprintf(&out, "require %s v1.0.7\n", kubelessPath)
	if mod.Module.Path != kubelessPath {
		fmt.Fprintf(&out, "require %s v0.0.0-00010101000000-000000000000\n", quoteModPath(mod.Module.Path))
		fmt.Fprintf(&out, "replace %s => ./function\n", quoteModPath(mod.Module.Path))
	}
	fmt.Fprintf(&out, "replace %s => ./kubeless\n", kubelessPath)
	for _, r := range mod.Replace {
		if r.Old.Path == kubelessPath || r.Old.Path == mod.Module.Path {
			continue
		}
		old := quoteModPath(r.Old.Path)
		if r.Old.Version != "" {
			old += " " + r.Old.Version
		}
		target := r.New.Path
		if r.New.Version != "" {
			target += " " + r.New.Version
		} else if !filepath.IsAbs(target) {
			target = "./" + filepath.ToSlash(filepath.Join("function", target))
		}
		fmt.Fprintf(&out, "replace %s => %s\n", old, target)
	}
	return out.String()
}

func quoteModPath(path string) string {
	if strings.ContainsAny(path, " \t\"'`") {
		return fmt.Sprintf("%q", path)
	}
	return path
}

// versionLess compares Go versions such as 1.22, 1.22.3 and 1.23rc1 (numerically, release
// candidates as their release).
func versionLess(a, b string) bool {
	parse := func(v string) []int {
		var parts []int
		for _, field := range strings.Split(v, ".") {
			n := 0
			for _, c := range field {
				if c < '0' || c > '9' {
					break
				}
				n = n*10 + int(c-'0')
			}
			parts = append(parts, n)
		}
		return parts
	}
	pa, pb := parse(a), parse(b)
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y int
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		if x != y {
			return x < y
		}
	}
	return false
}

func copyFile(from, to string) error {
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func copyTree(from, to string) error {
	return filepath.WalkDir(from, func(path string, entry fs.DirEntry, err error) error {
		if err != nil || !entry.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		return copyFile(path, filepath.Join(to, rel))
	})
}

// goTool runs the Go toolchain with writable caches.
type goTool struct {
	command string
	env     []string
	version string // e.g. go1.26.8
}

// newGoTool finds the toolchain (GO, else go on the PATH) and the caches it will write: GOCACHE
// and GOMODCACHE as configured, else Go's defaults when writable, else folders in the volume.
func newGoTool(volume string) (*goTool, error) {
	command := env("GO", "go")
	path, err := exec.LookPath(command)
	if err != nil {
		return nil, fmt.Errorf("the Go toolchain (%s) is not on the PATH: %v", command, err)
	}
	tool := &goTool{command: path, env: os.Environ()}
	tool.setDefault("GOTOOLCHAIN", "local")
	tool.setDefault("GOFLAGS", "-buildvcs=false")
	out, err := exec.Command(path, "env", "-json", "GOCACHE", "GOMODCACHE", "GOVERSION").Output()
	var goenv struct{ GOCACHE, GOMODCACHE, GOVERSION string }
	if err == nil {
		_ = json.Unmarshal(out, &goenv)
	}
	tool.version = goenv.GOVERSION
	fallback := filepath.Join(volume, workDir)
	if !writable(goenv.GOCACHE) {
		tool.set("GOCACHE", filepath.Join(fallback, "cache"))
	}
	if !writable(goenv.GOMODCACHE) {
		tool.set("GOPATH", filepath.Join(fallback, "gopath"))
		tool.set("GOMODCACHE", filepath.Join(fallback, "gopath", "pkg", "mod"))
		// Read-only module files would keep the volume from being deleted.
		tool.set("GOFLAGS", strings.TrimSpace(tool.get("GOFLAGS")+" -modcacherw"))
	}
	return tool, nil
}

func writable(dir string) bool {
	if dir == "" || dir == "off" {
		return false
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false
	}
	probe, err := os.CreateTemp(dir, ".kubeless-probe-*")
	if err != nil {
		return false
	}
	probe.Close()
	os.Remove(probe.Name())
	return true
}

func (g *goTool) get(name string) string {
	for i := len(g.env) - 1; i >= 0; i-- {
		if value, ok := strings.CutPrefix(g.env[i], name+"="); ok {
			return value
		}
	}
	return ""
}

func (g *goTool) set(name, value string) {
	g.env = append(g.env, name+"="+value)
}

func (g *goTool) setDefault(name, value string) {
	if g.get(name) == "" {
		g.set(name, value)
	}
}

// languageVersion is the toolchain's language version, e.g. 1.26.
func (g *goTool) languageVersion() string {
	v := strings.TrimPrefix(g.version, "go")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) >= 2 {
		minor := parts[1]
		if i := strings.IndexFunc(minor, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
			minor = minor[:i]
		}
		return parts[0] + "." + minor
	}
	return "1.22"
}

// run runs a go command in dir and returns its combined output.
func (g *goTool) run(dir string, args ...string) (string, error) {
	cmd := exec.Command(g.command, args...)
	cmd.Dir = dir
	cmd.Env = g.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (g *goTool) readModFile(path string) (*modFile, error) {
	out, err := g.run(filepath.Dir(path), "mod", "edit", "-json", path)
	if err != nil {
		return nil, errors.New(out)
	}
	var mod modFile
	if err := json.Unmarshal([]byte(out), &mod); err != nil {
		return nil, err
	}
	if mod.Module.Path == "" {
		return nil, errors.New("no module line in " + path)
	}
	return &mod, nil
}
