// Package functions holds the types a Kubeless Go function receives:
//
//	package kubeless
//
//	import "github.com/kubeless/kubeless/pkg/functions"
//
//	func Handler(event functions.Event, context functions.Context) (string, error) {
//		return event.Data, nil
//	}
//
// The returned string is the response body (status 200); a returned error answers 500.
package functions

import (
	"context"
	"net/http"
)

// Event is one invocation.
type Event struct {
	// Data is the request body, unparsed (JSON stays a string).
	Data string
	// EventID is the "event-id" header, or a fresh UUID when the request has none.
	EventID string
	// EventType is the "event-type" header, else the request's Content-Type, else
	// "application/octet-stream".
	EventType string
	// EventTime is the "event-time" header, else the current time in RFC 3339 (UTC).
	EventTime string
	// EventNamespace is the "event-namespace" header, else "http.kubeless.io".
	EventNamespace string
	// Extensions gives access to the HTTP exchange behind the event.
	Extensions Extension
}

// Extension is the HTTP exchange of an invocation.
type Extension struct {
	// Request is the HTTP request; its Body reads Data again.
	Request *http.Request
	// Response may be used to set headers (e.g. Content-Type) or a status before the handler
	// returns; the returned string is written after whatever the handler wrote.
	Response http.ResponseWriter
	// Context is done when the invocation times out (FUNC_TIMEOUT) or the client goes away.
	Context context.Context
}

// Context describes the function.
type Context struct {
	// FunctionName is the handler's name (FUNC_HANDLER).
	FunctionName string
	// Timeout is FUNC_TIMEOUT in seconds, as configured (default "180").
	Timeout string
	// Runtime is FUNC_RUNTIME, e.g. "go1.26".
	Runtime string
	// MemoryLimit is FUNC_MEMORY_LIMIT, e.g. "128Mi".
	MemoryLimit string
}
