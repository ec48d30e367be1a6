package kubeless

import "github.com/kubeless/kubeless/pkg/functions"

func handler(event functions.Event, context functions.Context) (string, error) {
	return "hello world", nil
}
