package kubeless

import (
	"time"

	"github.com/kubeless/kubeless/pkg/functions"
)

func handler(event functions.Event, context functions.Context) (string, error) {
	time.Sleep(100 * time.Millisecond)
	return event.Data, nil
}
