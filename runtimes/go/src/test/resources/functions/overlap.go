package kubeless

import (
	"fmt"
	"time"

	"github.com/kubeless/kubeless/pkg/functions"
)

func handler(event functions.Event, context functions.Context) (string, error) {
	start := time.Now()
	time.Sleep(time.Second)
	return fmt.Sprintf("%d %d", start.UnixMilli(), time.Now().UnixMilli()), nil
}
