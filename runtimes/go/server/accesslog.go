package main

import (
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

// accessLog prints one line per invocation on stdout: the Common Log Format followed by the
// duration in seconds, e.g.
//
//	127.0.0.1 - - [02/Dec/2026:16:05:01 +0000] "POST /orders/7?full=1 HTTP/1.1" 200 4 0.0031
func accessLog(r *http.Request, status, size int, elapsed time.Duration) {
	client, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		client = r.RemoteAddr
	}
	line := make([]byte, 0, 128+len(r.RequestURI))
	line = append(line, client...)
	line = append(line, " - - ["...)
	line = time.Now().AppendFormat(line, "02/Jan/2006:15:04:05 -0700")
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
	os.Stdout.Write(line)
}
