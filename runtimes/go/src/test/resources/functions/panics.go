package kubeless

import "github.com/kubeless/kubeless/pkg/functions"

func handler(event functions.Event, context functions.Context) (string, error) {
	if event.Data == "panic" {
		var m map[string]int
		m["boom"] = 1 // panics: assignment to entry in nil map
	}
	return "fine", nil
}
