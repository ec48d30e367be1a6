package kubeless

import (
	"errors"

	"github.com/kubeless/kubeless/pkg/functions"
)

func handler(event functions.Event, context functions.Context) (string, error) {
	return "", errors.New("intentional failure")
}
