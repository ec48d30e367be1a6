// The Kubeless Go runtime: one program with three modes.
//
//	kubeless-go run      the launcher: builds the function server if needed, listens on FUNC_PORT
//	                     and supervises the function server processes that serve it
//	kubeless-go install  the install step: resolves the function's go.mod and builds the server
//	<function> serve     a function server process (this program built together with the
//	                     user's package), started by "run" with the listening socket inherited
//
// The runtime's own binary is this package alone; the function server is the same package plus a
// generated file that registers the user's exported functions (handlers.go).
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func main() {
	mode := "run"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	cfg := loadConfig()
	switch mode {
	case "run":
		os.Exit(supervise(cfg))
	case "install":
		os.Exit(install(cfg))
	case "serve":
		os.Exit(serve(cfg))
	default:
		fmt.Fprintf(os.Stderr, "usage: %s [run|install|serve]\n", os.Args[0])
		os.Exit(2)
	}
}

// config is the runtime's environment.
type config struct {
	volume      string        // KUBELESS_INSTALL_VOLUME
	depsFile    string        // KUBELESS_DEPS_FILE
	runtimeDir  string        // where the runtime's sources are (server/ and kubeless/)
	module      string        // MOD_NAME
	handler     string        // FUNC_HANDLER
	timeoutText string        // FUNC_TIMEOUT as given, for functions.Context
	timeout     time.Duration // FUNC_TIMEOUT
	port        string        // FUNC_PORT
	runtime     string        // FUNC_RUNTIME
	memoryLimit string        // FUNC_MEMORY_LIMIT
	maxBody     int64         // REQ_MB_LIMIT in bytes
	concurrency int           // FUNC_CONCURRENCY
	shutdown    time.Duration // SHUTDOWN_TIMEOUT
}

func loadConfig() config {
	volume := env("KUBELESS_INSTALL_VOLUME", "/kubeless")
	if abs, err := filepath.Abs(volume); err == nil {
		volume = abs
	}
	timeoutText := env("FUNC_TIMEOUT", "180")
	return config{
		volume:      volume,
		depsFile:    env("KUBELESS_DEPS_FILE", filepath.Join(volume, "go.mod")),
		runtimeDir:  env("KUBELESS_GO_RUNTIME_DIR", runtimeDirOfExecutable()),
		module:      os.Getenv("MOD_NAME"),
		handler:     os.Getenv("FUNC_HANDLER"),
		timeoutText: timeoutText,
		timeout:     seconds("FUNC_TIMEOUT", timeoutText, 180),
		port:        env("FUNC_PORT", "8080"),
		runtime:     os.Getenv("FUNC_RUNTIME"),
		memoryLimit: os.Getenv("FUNC_MEMORY_LIMIT"),
		maxBody:     int64(number("REQ_MB_LIMIT", 10) * 1024 * 1024),
		concurrency: int(number("FUNC_CONCURRENCY", 1000)),
		shutdown:    seconds("SHUTDOWN_TIMEOUT", env("SHUTDOWN_TIMEOUT", "10"), 10),
	}
}

// runtimeDirOfExecutable guesses the runtime folder from the binary's place (<dir>/bin/kubeless-go).
func runtimeDirOfExecutable() string {
	exe, err := os.Executable()
	if err != nil {
		return "/opt/kubeless"
	}
	return filepath.Dir(filepath.Dir(exe))
}

func env(name, fallback string) string {
	if value := strings.TrimSpace(os.Getenv(name)); value != "" {
		return value
	}
	return fallback
}

func number(name string, fallback float64) float64 {
	text := env(name, "")
	if text == "" {
		return fallback
	}
	value, err := strconv.ParseFloat(text, 64)
	if err != nil || value <= 0 {
		logf("Ignoring %s=%q: not a positive number; using %g", name, text, fallback)
		return fallback
	}
	return value
}

func seconds(name, text string, fallback float64) time.Duration {
	value, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
	if err != nil || value <= 0 {
		logf("Ignoring %s=%q: not a positive number of seconds; using %g", name, text, fallback)
		value = fallback
	}
	return time.Duration(value * float64(time.Second))
}

// logf writes one line of the runtime's own log to stderr (the access log goes to stdout).
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, time.Now().UTC().Format("2006-01-02T15:04:05.000Z")+" "+format+"\n", args...)
}
