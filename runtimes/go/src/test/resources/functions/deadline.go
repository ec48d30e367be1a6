package kubeless

import (
	"context"
	"fmt"
	"time"

	"github.com/kubeless/kubeless/pkg/functions"
)

// "info" tells the invocation context's deadline; "wait" waits for it to end (through a context
// derived from it) and prints why.
func handler(event functions.Event, _ functions.Context) (string, error) {
	ctx := event.Extensions.Context
	if event.Data == "info" {
		deadline, ok := ctx.Deadline()
		left := time.Until(deadline).Round(time.Second)
		return fmt.Sprintf("deadline %v in %v, err %v", ok, left, ctx.Err()), nil
	}
	child, cancel := context.WithCancel(ctx)
	defer cancel()
	<-child.Done()
	fmt.Printf("context ended: %v / %v\n", ctx.Err(), child.Err())
	return "late", nil
}
