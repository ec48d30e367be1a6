package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"reflect"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/kubeless/kubeless/pkg/functions"
)

// The file descriptors a function server process inherits from the supervisor.
const (
	listenerFD = 3 // the listening socket
	controlFD  = 4 // a pipe to the supervisor: "retire" asks for a replacement
	metricsFD  = 5 // the shared metrics
)

// A body over the limit is read and dropped (up to this much) so that the client reads the 413
// instead of a reset connection.
const maxDiscard = 100 << 20

const textPlain = "text/plain; charset=utf-8"

// How long a handler may take to return once its deadline has ended its context and it has been
// answered 408, before it counts as a runaway and its process is replaced.
const runawayGrace = time.Second

// server answers HTTP: /healthz, /metrics and every other request invokes the handler.
type server struct {
	cfg       config
	handler   Handler
	loadError string // why the function cannot be served; "" when it can
	fnContext functions.Context
	metrics   *metrics
	slots     chan struct{} // FUNC_CONCURRENCY
	http      *http.Server
	control   io.Writer // to the supervisor; nil in the supervisor itself
	retiring  sync.Once
	retired   atomic.Bool
	stopped   chan struct{} // closed once the server has shut down
	stopOnce  sync.Once

	// The connections not idle, and whether each holds a runaway (an invocation answered 408
	// whose handler may never return): a retiring process exits once only those are left.
	connMu sync.Mutex
	busy   map[net.Conn]bool
}

type connKey struct{}

func newServer(cfg config, m *metrics, loadError string) *server {
	s := &server{
		cfg:       cfg,
		loadError: loadError,
		metrics:   m,
		slots:     make(chan struct{}, cfg.concurrency),
		stopped:   make(chan struct{}),
		busy:      map[net.Conn]bool{},
		fnContext: functions.Context{
			FunctionName: cfg.handler,
			Timeout:      cfg.timeoutText,
			Runtime:      cfg.runtime,
			MemoryLimit:  cfg.memoryLimit,
		},
	}
	// No read or idle timeouts: the trigger closes its idle connections itself (the runtime must
	// not close one first), and each would cost timer updates on every request.
	s.http = &http.Server{
		Handler:   s,
		ErrorLog:  log.New(io.Discard, "", 0),
		ConnState: s.connState,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, c)
		},
	}
	return s
}

// serve is a function server process: it serves the inherited socket until it is told to stop
// (SIGTERM) or it retires after a timeout.
func serve(cfg config) int {
	listener, err := net.FileListener(os.NewFile(listenerFD, "listener"))
	if err != nil {
		logf("No listening socket inherited (the function server is started by \"run\"): %v", err)
		return 2
	}
	m, err := openMetrics(os.NewFile(metricsFD, "metrics"))
	if err != nil {
		logf("No shared metrics inherited: %v", err)
		return 2
	}
	s := newServer(cfg, m, "")
	s.control = os.NewFile(controlFD, "control")
	s.handler, s.loadError = lookupHandler(cfg)
	if s.loadError != "" {
		logf("%s", s.loadError)
	}
	go func() {
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
		<-stop
		s.shutdown(cfg.shutdown)
	}()
	if err := s.http.Serve(listener); !errors.Is(err, http.ErrServerClosed) {
		logf("Serving failed: %v", err)
		return 1
	}
	<-s.stopped
	flushAccessLog()
	return 0
}

// shutdown stops accepting, lets the invocations in flight finish (at most grace) and closes.
func (s *server) shutdown(grace time.Duration) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), grace)
		defer cancel()
		if err := s.http.Shutdown(ctx); err != nil {
			logf("Invocations still running after %s are abandoned", grace)
		}
		s.stop()
	}()
}

func (s *server) stop() {
	s.stopOnce.Do(func() { close(s.stopped) })
}

// connState keeps track of the connections in use.
func (s *server) connState(c net.Conn, state http.ConnState) {
	s.connMu.Lock()
	switch state {
	case http.StateNew, http.StateActive:
		s.busy[c] = false
	default:
		delete(s.busy, c)
	}
	s.connMu.Unlock()
	if state != http.StateNew && state != http.StateActive && s.retired.Load() {
		s.exitWhenOnlyRunawaysLeft()
	}
}

// abandon marks the connection of a runaway.
func (s *server) abandon(r *http.Request) {
	if c, ok := r.Context().Value(connKey{}).(net.Conn); ok {
		s.connMu.Lock()
		if _, known := s.busy[c]; known {
			s.busy[c] = true
		}
		s.connMu.Unlock()
	}
}

// exitWhenOnlyRunawaysLeft stops a retiring process once every invocation it accepted has been
// answered (the connections still busy are those of runaways).
func (s *server) exitWhenOnlyRunawaysLeft() {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	for _, runaway := range s.busy {
		if !runaway {
			return
		}
	}
	s.stop()
}

// lookupHandler finds FUNC_HANDLER among the functions compiled in.
func lookupHandler(cfg config) (Handler, string) {
	fn, ok := functionsByName[cfg.handler]
	if !ok {
		names := make([]string, 0, len(functionsByName))
		for name := range functionsByName {
			names = append(names, name)
		}
		sort.Strings(names)
		return nil, fmt.Sprintf("Handler %s not found in module %s (%s); its functions: %s",
			cfg.handler, cfg.module, functionModule, strings.Join(names, ", "))
	}
	handler, ok := fn.(Handler)
	if !ok {
		return nil, fmt.Sprintf("Handler %s of module %s has type %s, want func(functions.Event, functions.Context) (string, error)",
			cfg.handler, cfg.module, reflect.TypeOf(fn))
	}
	return handler, ""
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		switch r.URL.Path {
		case "/healthz":
			if s.loadError != "" {
				respond(w, http.StatusInternalServerError, textPlain, s.loadError)
			} else {
				respond(w, http.StatusOK, textPlain, "OK")
			}
			return
		case "/metrics":
			respond(w, http.StatusOK, "text/plain; version=0.0.4; charset=utf-8", s.metrics.render())
			return
		}
	}
	s.invoke(w, r, time.Now())
}

// account counts an answered invocation in the metrics and the access log.
func (s *server) account(r *http.Request, start time.Time, status, size int) {
	elapsed := time.Since(start)
	if status != http.StatusRequestEntityTooLarge {
		s.metrics.observe(r.Method, elapsed, status == http.StatusInternalServerError || status == http.StatusRequestTimeout)
	}
	accessLog(r, status, size, start, elapsed)
}

// respond writes a complete answer and returns its status and size.
func respond(w http.ResponseWriter, status int, contentType, body string) (int, int) {
	h := w.Header()
	h["Content-Type"] = []string{contentType}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	io.WriteString(w, body)
	return status, len(body)
}

// invoke calls the handler for one request and answers; it returns the status and body size.
// The handler runs on the request's own goroutine (no hand-off, no extra wake-up); a callback at
// the deadline answers 408 in its place and retires the process.
func (s *server) invoke(w http.ResponseWriter, r *http.Request, start time.Time) {
	if s.loadError != "" {
		logf("Function not loaded: %s", s.loadError)
		status, size := respond(w, http.StatusInternalServerError, textPlain, "Internal Server Error")
		s.account(r, start, status, size)
		return
	}
	body, ok := readBody(r, s.cfg.maxBody)
	if !ok {
		w.Header().Set("Connection", "close")
		status, size := respond(w, http.StatusRequestEntityTooLarge, textPlain, "Request body too large")
		s.account(r, start, status, size)
		return
	}
	handlerStart := start
	select {
	case s.slots <- struct{}{}:
	default:
		// every slot taken: wait for one, unless the client leaves first (asking the request's
		// context for its channel costs an allocation, so only here)
		select {
		case s.slots <- struct{}{}:
			handlerStart = time.Now()
		case <-r.Context().Done():
			s.account(r, start, 499, 0)
			return
		}
	}

	// FUNC_TIMEOUT counts from here, the handler's start. As in Kubeless, the context is done at
	// the deadline (not when the client goes away).
	ctx := newInvocationContext(handlerStart.Add(s.cfg.timeout))
	r.Body = io.NopCloser(bytes.NewReader(body))
	out := &handlerWriter{real: w, slots: s.slots}
	// The server stores header names canonically ("Event-Id"), so they are looked up as such.
	event := functions.Event{
		Data:           string(body),
		EventID:        header(r, "Event-Id"),
		EventType:      header(r, "Event-Type"),
		EventTime:      header(r, "Event-Time"),
		EventNamespace: header(r, "Event-Namespace"),
		Extensions:     functions.Extension{Request: r, Response: out, Context: ctx},
	}
	if event.EventID == "" {
		event.EventID = newUUID()
	}
	if event.EventType == "" {
		event.EventType = header(r, "Content-Type")
		if event.EventType == "" {
			event.EventType = "application/octet-stream"
		}
	}
	if event.EventTime == "" {
		event.EventTime = eventTime(start)
	}
	if event.EventNamespace == "" {
		event.EventNamespace = "http.kubeless.io"
	}

	deadline := time.AfterFunc(s.cfg.timeout, func() {
		ctx.end(context.DeadlineExceeded)
		if status, size, answered := out.timeout(); answered {
			logf("Function %s.%s timed out after %s", s.cfg.module, s.cfg.handler, s.cfg.timeout)
			s.account(r, start, status, size)
			// A handler that returns when its context ends is no runaway: it has runawayGrace
			// to do so before its process is replaced to stop it.
			time.AfterFunc(runawayGrace, func() {
				if !out.returned.Load() {
					s.abandon(r)
					s.retire()
				}
			})
		}
	})
	result := s.call(event)
	out.returned.Store(true)
	deadline.Stop()
	ctx.end(context.Canceled)
	if status, size, answered := out.finish(s, result); answered {
		s.account(r, start, status, size)
	}
}

// outcome is what the handler did: returned a result or an error, or panicked.
type outcome struct {
	result string
	err    error
	panic  any
	stack  []byte
}

func (s *server) call(event functions.Event) (out outcome) {
	defer func() {
		if p := recover(); p != nil {
			out = outcome{panic: p, stack: debug.Stack()}
		}
	}()
	out.result, out.err = s.handler(event, s.fnContext)
	return out
}

// retire hands the socket over to a fresh process after a timeout: this one stops accepting,
// finishes its other invocations (each within its own deadline) and exits, which stops the
// runaway handler with it.
func (s *server) retire() {
	s.retiring.Do(func() {
		if s.control == nil {
			return
		}
		logf("Replacing this function server process (pid %d) to stop the runaway handler; "+
			"it exits once its other invocations are done", os.Getpid())
		if _, err := io.WriteString(s.control, "retire\n"); err != nil {
			logf("Could not ask the supervisor for a replacement: %v", err)
			return
		}
		s.retired.Store(true)
		s.shutdown(s.cfg.timeout + 30*time.Second)
		s.exitWhenOnlyRunawaysLeft()
	})
}

// readBody reads the request body, or reports that it is over the limit.
func readBody(r *http.Request, limit int64) ([]byte, bool) {
	if r.ContentLength > limit {
		if r.ContentLength <= maxDiscard && r.Header.Get("Expect") == "" {
			io.Copy(io.Discard, r.Body)
		}
		return nil, false
	}
	if r.ContentLength >= 0 {
		body := make([]byte, r.ContentLength)
		n, _ := io.ReadFull(r.Body, body)
		return body[:n], true
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if int64(len(body)) > limit {
		io.Copy(io.Discard, io.LimitReader(r.Body, maxDiscard))
		return nil, false
	}
	return body, true
}

func header(r *http.Request, canonicalName string) string {
	if values := r.Header[canonicalName]; len(values) > 0 {
		return values[0]
	}
	return ""
}

// eventTime is a time in RFC 3339 (UTC), formatted once a second.
func eventTime(now time.Time) string {
	if cached, ok := lastEventTime.Load().(*formattedTime); ok && cached.second == now.Unix() {
		return cached.text
	}
	formatted := &formattedTime{now.Unix(), now.UTC().Format(time.RFC3339)}
	lastEventTime.Store(formatted)
	return formatted.text
}

var lastEventTime atomic.Value

func newUUID() string {
	// A random (version 4) UUID; event ids need to be unique, not unpredictable, so the
	// runtime's fast generator serves (no system call per invocation).
	var b [16]byte
	binary.LittleEndian.PutUint64(b[0:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:16], rand.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// handlerWriter is the http.ResponseWriter a handler gets (event.Extensions.Response): headers
// are the handler's own until it writes; once the invocation is over (answered or timed out)
// further writes are refused, so that a runaway handler cannot touch a finished exchange.
type handlerWriter struct {
	returned    atomic.Bool // the handler has returned (after its deadline: it was no runaway)
	mu          sync.Mutex
	slots       chan struct{} // the invocation's slot, given back once it is answered
	real        http.ResponseWriter
	header      http.Header
	wroteHeader bool
	closed      bool
	status      int
	size        int
}

func (h *handlerWriter) Header() http.Header {
	if h.header == nil {
		h.header = http.Header{}
	}
	return h.header
}

func (h *handlerWriter) WriteHeader(status int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed && !h.wroteHeader {
		h.sendHeader(status)
	}
}

func (h *handlerWriter) Write(data []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return 0, http.ErrHandlerTimeout
	}
	if !h.wroteHeader {
		h.sendHeader(http.StatusOK)
	}
	n, err := h.real.Write(data)
	h.size += n
	return n, err
}

// Flush sends what the handler wrote so far.
func (h *handlerWriter) Flush() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed && h.wroteHeader {
		if flusher, ok := h.real.(http.Flusher); ok {
			flusher.Flush()
		}
	}
}

func (h *handlerWriter) sendHeader(status int) {
	real := h.real.Header()
	for name, values := range h.header {
		real[name] = values
	}
	h.real.WriteHeader(status)
	h.wroteHeader = true
	h.status = status
}

// finish answers with what the handler returned: its result as the body (after whatever it
// wrote itself), 500 for an error or a panic.
// It reports false when the invocation had already timed out.
func (h *handlerWriter) finish(s *server, result outcome) (int, int, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return 0, 0, false
	}
	h.close()
	body := result.result
	status := http.StatusOK
	switch {
	case result.panic != nil:
		logf("Function %s.%s panicked: %v\n%s", s.cfg.module, s.cfg.handler, result.panic, result.stack)
		if !h.wroteHeader {
			status, size := respond(h.real, http.StatusInternalServerError, textPlain, "Internal Server Error")
			return status, size, true
		}
		return h.status, h.size, true
	case result.err != nil:
		logf("Function %s.%s failed: %v", s.cfg.module, s.cfg.handler, result.err)
		status, body = http.StatusInternalServerError, "Error: "+result.err.Error()
	}
	if !h.wroteHeader {
		real := h.real.Header()
		for name, values := range h.header {
			real[name] = values
		}
		// As Kubeless, the type is sniffed from the body (text/plain for text and JSON): net/http
		// does it from the body's first 512 bytes when none is set, and gives a body shorter
		// than its buffer its length itself; both are set here only where it would not.
		if _, ok := real["Content-Type"]; !ok && body == "" {
			real["Content-Type"] = []string{textPlain}
		}
		if len(body) >= 2048 {
			real["Content-Length"] = []string{strconv.Itoa(len(body))}
		}
		h.real.WriteHeader(status)
		h.status = status
	}
	n, _ := io.WriteString(h.real, body)
	return h.status, h.size + n, true
}

// close ends the invocation: no more writes from the handler, its slot given back.
func (h *handlerWriter) close() {
	h.closed = true
	<-h.slots
}

// timeout answers 408 (unless the handler already sent its headers) and sends it at once: the
// handler still holds the request's goroutine. It reports false when the invocation was over.
func (h *handlerWriter) timeout() (int, int, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return 0, 0, false
	}
	h.close()
	status, size := h.status, h.size
	if !h.wroteHeader {
		// The connection stays busy with the runaway: the client must not send more on it.
		h.real.Header().Set("Connection", "close")
		status, size = respond(h.real, http.StatusRequestTimeout, textPlain, "Timeout exceeded")
	}
	if flusher, ok := h.real.(http.Flusher); ok {
		flusher.Flush()
	}
	return status, size, true
}
