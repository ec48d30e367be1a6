package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// install is the install step: it downloads the modules the function's go.mod requires and
// builds the function server, so that the function container starts it at once. A function
// that does not compile is no install failure: the runtime answers /healthz with the compiler's
// message. Without go.mod and .go files it does nothing.
func install(cfg config) int {
	goMod := filepath.Join(cfg.volume, "go.mod")
	if cfg.depsFile != goMod && strings.TrimSpace(readText(cfg.depsFile)) != "" {
		if err := copyFile(cfg.depsFile, goMod); err != nil {
			logf("Cannot copy %s to %s: %v", cfg.depsFile, goMod, err)
			return 1
		}
	}
	files := rootGoFiles(cfg.volume)
	withMod := hasGoMod(cfg.volume)
	if _, err := os.Stat(filepath.Join(cfg.volume, "Gopkg.toml")); err == nil && !withMod {
		logf("Gopkg.toml (dep) is not read: declare dependencies in go.mod; missing modules are resolved at their latest version")
	}
	if !withMod && len(files) == 0 {
		logf("Nothing to install: no go.mod and no .go file in %s", cfg.volume)
		return 0
	}
	tool, err := newGoTool(cfg.volume)
	if err != nil {
		logf("%v", err)
		return 1
	}
	if withMod {
		if err := download(cfg, tool); err != nil {
			logf("Cannot download the function's modules:\n%v", err)
			return 1
		}
	}
	var targets []config
	switch {
	case withMod && len(files) > 0:
		targets = append(targets, cfg)
	case !withMod && cfg.module != "":
		targets = append(targets, cfg)
	case !withMod:
		for _, file := range files {
			one := cfg
			one.module = strings.TrimSuffix(file, ".go")
			targets = append(targets, one)
		}
	}
	for _, one := range targets {
		t, err := functionTarget(one)
		if err != nil {
			logf("%v", err)
			continue
		}
		if t.upToDate() {
			logf("%s is up to date", t.binary())
			continue
		}
		err = t.build(tool)
		var broken *buildError
		switch {
		case errors.As(err, &broken):
			logf("The function does not build; the runtime will answer /healthz with:\n%s", broken.output)
		case err != nil:
			logf("Cannot build the function: %v", err)
			return 1
		default:
			logf("Built %s", t.binary())
		}
	}
	return 0
}

// download fetches every module of the function's go.mod into the module cache, with the
// functions module replaced by the runtime's (Kubeless itself is never downloaded).
func download(cfg config, tool *goTool) error {
	dir := filepath.Join(cfg.volume, workDir, "download")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	mod := filepath.Join(dir, "deps.mod")
	if err := copyFile(filepath.Join(cfg.volume, "go.mod"), mod); err != nil {
		return err
	}
	if err := copyFile(filepath.Join(cfg.volume, "go.sum"), filepath.Join(dir, "deps.sum")); err != nil && !os.IsNotExist(err) {
		return err
	}
	replace := "-replace=" + kubelessPath + "=" + filepath.Join(cfg.runtimeDir, "kubeless")
	if out, err := tool.run(cfg.volume, "mod", "edit", replace, mod); err != nil {
		return errors.New(out)
	}
	if out, err := tool.run(cfg.volume, "mod", "download", "-modfile="+mod, "all"); err != nil {
		return errors.New(out)
	}
	return nil
}
