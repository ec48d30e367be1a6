package kubeless

import (
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/kubeless/kubeless/pkg/functions"
)

// handler answers the pid of the process serving it; "spin" runs until the runtime stops it.
func handler(event functions.Event, context functions.Context) (string, error) {
	if event.Data == "spin" {
		ticks := filepath.Join(os.Getenv("KUBELESS_INSTALL_VOLUME"), "ticks")
		for n := 1; ; n++ {
			if n%20_000_000 == 0 {
				os.WriteFile(ticks, []byte(strconv.Itoa(n)), 0o644)
			}
		}
	}
	time.Sleep(200 * time.Millisecond)
	return strconv.Itoa(os.Getpid()), nil
}
