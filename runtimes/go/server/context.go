package main

import (
	"context"
	"sync"
	"time"
)

// invocationContext is an invocation's context.Context (event.Extensions.Context): done at the
// deadline, or once the handler has returned. It is a cheaper equivalent of
// context.WithTimeout(context.Background(), timeout) for the common handler that never looks at
// it: its channel is made only when Done is called, and the invocation's one timer (which also
// answers 408) ends it, instead of a timer and a callback registration of its own.
type invocationContext struct {
	deadline time.Time
	mu       sync.Mutex
	done     chan struct{} // made on the first call of Done
	err      error         // why it is done; nil while it is not
}

var closedChannel = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

func newInvocationContext(deadline time.Time) *invocationContext {
	return &invocationContext{deadline: deadline}
}

func (c *invocationContext) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *invocationContext) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		if c.err != nil {
			c.done = closedChannel
		} else {
			c.done = make(chan struct{})
		}
	}
	return c.done
}

func (c *invocationContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *invocationContext) Value(any) any { return nil }

// end makes the context done with err, unless it is done already.
func (c *invocationContext) end(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return
	}
	c.err = err
	if c.done != nil {
		close(c.done)
	}
}

func (c *invocationContext) String() string { return "kubeless invocation context" }

var _ context.Context = (*invocationContext)(nil)
