package kubeless

import (
	"net/http"

	"github.com/kubeless/kubeless/pkg/functions"
)

// handler sets its own status and content type through the request's ResponseWriter.
func handler(event functions.Event, context functions.Context) (string, error) {
	event.Extensions.Response.Header().Set("Content-Type", "application/json")
	event.Extensions.Response.WriteHeader(http.StatusCreated)
	return `{"created":true}`, nil
}
