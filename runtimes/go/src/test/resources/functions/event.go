package kubeless

import (
	"encoding/json"

	"github.com/kubeless/kubeless/pkg/functions"
)

func handler(event functions.Event, context functions.Context) (string, error) {
	request := event.Extensions.Request
	out, err := json.Marshal(map[string]string{
		"event-id":        event.EventID,
		"event-type":      event.EventType,
		"event-time":      event.EventTime,
		"event-namespace": event.EventNamespace,
		"method":          request.Method,
		"path":            request.URL.Path,
		"function-name":   context.FunctionName,
		"timeout":         context.Timeout,
		"runtime":         context.Runtime,
		"memory-limit":    context.MemoryLimit,
	})
	return string(out), err
}
