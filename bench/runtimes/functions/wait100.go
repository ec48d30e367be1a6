package kubeless

import (
	"time"

	"github.com/kubeless/kubeless/pkg/functions"
)

// handler is an I/O-bound handler: a blocking 100 ms wait (a database, an HTTP call).
func handler(event functions.Event, context functions.Context) (string, error) {
	time.Sleep(100 * time.Millisecond)
	return "done", nil
}
