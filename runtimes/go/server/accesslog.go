package main

import (
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The access log is buffered and written every 50 ms (or at 32 KiB), not with a system call per
// invocation; flushAccessLog writes what is left before the process exits.
var accessLogBuffer = struct {
	sync.Mutex
	lines   []byte
	pending bool
}{lines: make([]byte, 0, 32<<10)}

func appendAccessLog(line []byte) {
	accessLogBuffer.Lock()
	accessLogBuffer.lines = append(accessLogBuffer.lines, line...)
	full := len(accessLogBuffer.lines) >= 32<<10
	schedule := !full && !accessLogBuffer.pending
	if schedule {
		accessLogBuffer.pending = true
	}
	accessLogBuffer.Unlock()
	if full {
		flushAccessLog()
	} else if schedule {
		time.AfterFunc(50*time.Millisecond, flushAccessLog)
	}
}

// logTime is a time as the access log shows it, formatted once a second.
func logTime(now time.Time) string {
	if cached, ok := lastLogTime.Load().(*formattedTime); ok && cached.second == now.Unix() {
		return cached.text
	}
	formatted := &formattedTime{now.Unix(), now.Format("02/Jan/2006:15:04:05 -0700")}
	lastLogTime.Store(formatted)
	return formatted.text
}

type formattedTime struct {
	second int64
	text   string
}

var lastLogTime atomic.Value

func flushAccessLog() {
	accessLogBuffer.Lock()
	defer accessLogBuffer.Unlock()
	accessLogBuffer.pending = false
	if len(accessLogBuffer.lines) > 0 {
		os.Stdout.Write(accessLogBuffer.lines)
		accessLogBuffer.lines = accessLogBuffer.lines[:0]
	}
}

// accessLog prints one line per invocation on stdout: the Common Log Format followed by the
// duration in seconds, e.g.
//
//	127.0.0.1 - - [02/Dec/2026:16:05:01 +0000] "POST /orders/7?full=1 HTTP/1.1" 200 4 0.0031
func accessLog(r *http.Request, status, size int, start time.Time, elapsed time.Duration) {
	client, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		client = r.RemoteAddr
	}
	var buffer [256]byte
	line := buffer[:0]
	line = append(line, client...)
	line = append(line, " - - ["...)
	line = append(line, logTime(start)...)
	line = append(line, "] \""...)
	line = append(line, r.Method...)
	line = append(line, ' ')
	line = append(line, r.RequestURI...)
	line = append(line, ' ')
	line = append(line, r.Proto...)
	line = append(line, "\" "...)
	line = strconv.AppendInt(line, int64(status), 10)
	line = append(line, ' ')
	line = strconv.AppendInt(line, int64(size), 10)
	line = append(line, ' ')
	line = strconv.AppendFloat(line, elapsed.Seconds(), 'f', 4, 64)
	line = append(line, '\n')
	appendAccessLog(line)
}
