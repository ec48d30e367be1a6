package kubeless

import (
	"example.com/shout"
	"github.com/kubeless/kubeless/pkg/functions"
)

func handler(event functions.Event, context functions.Context) (string, error) {
	return shout.Shout("deps"), nil
}
