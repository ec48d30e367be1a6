package main

import "github.com/kubeless/kubeless/pkg/functions"

// Handler is the signature of a Kubeless Go function.
type Handler = func(functions.Event, functions.Context) (string, error)

// The function compiled into this binary, registered by the file the build generates next to
// this one: the user's module path and every exported top-level function of its package, by name
// (whatever its signature: FUNC_HANDLER picks one at start, and a wrong signature is reported
// then). The runtime's own binary has none.
var (
	functionModule  string
	functionFiles   []string
	functionsByName = map[string]any{}
)
