package main

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"
)

// supervise is the launcher's process: it listens on FUNC_PORT first (requests wait in the
// socket's backlog while the function is built), builds the function server if its sources
// changed, and keeps one function server process accepting on the socket. A process that
// retires after a timeout is replaced at once; one that dies is started again. When the function
// cannot be built or loaded, this process answers /healthz itself with the reason.
func supervise(cfg config) int {
	listener, err := net.Listen("tcp", ":"+cfg.port)
	if err != nil {
		logf("Cannot listen on port %s: %v", cfg.port, err)
		return 1
	}
	socket, err := listener.(*net.TCPListener).File()
	if err != nil {
		logf("Cannot share the listening socket: %v", err)
		return 1
	}
	m, err := newMetrics()
	if err != nil {
		logf("Cannot create the shared metrics: %v", err)
		return 1
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)

	binary, loadError := prepare(cfg)
	if loadError != "" {
		logf("%s", loadError)
		return serveLoadError(cfg, listener, m, loadError, stop)
	}
	listener.Close() // the function servers accept on their copies of the socket

	s := &supervisor{cfg: cfg, binary: binary, socket: socket, metrics: m, events: make(chan event, 16)}
	if err := s.spawn(); err != nil {
		logf("Cannot start the function server %s: %v", binary, err)
		return 1
	}
	logf("Serving %s.%s on port %s, timeout %s", cfg.module, cfg.handler, cfg.port, cfg.timeout)
	return s.loop(stop)
}

// prepare returns the function server binary, built if needed, or why there is none.
func prepare(cfg config) (string, string) {
	t, err := functionTarget(cfg)
	if err != nil {
		return "", err.Error()
	}
	if t.upToDate() {
		return t.binary(), ""
	}
	tool, err := newGoTool(cfg.volume)
	if err != nil {
		return "", "Cannot build the function: " + err.Error()
	}
	started := time.Now()
	logf("Building %s (%s)", cfg.module, tool.version)
	if err := t.build(tool); err != nil {
		var broken *buildError
		if errors.As(err, &broken) {
			return "", broken.output
		}
		return "", "Cannot build the function: " + err.Error()
	}
	logf("Built %s in %.1fs", t.binary(), time.Since(started).Seconds())
	return t.binary(), ""
}

// serveLoadError answers every request from this process: /healthz 500 with the reason.
func serveLoadError(cfg config, listener net.Listener, m *metrics, reason string, stop <-chan os.Signal) int {
	s := newServer(cfg, m, reason)
	go func() {
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

type supervisor struct {
	cfg      config
	binary   string
	socket   *os.File
	metrics  *metrics
	current  *child
	children map[*child]bool
	events   chan event
	failures int // quick deaths in a row, for the restart delay
}

type child struct {
	cmd     *exec.Cmd
	started time.Time
}

// event is what a function server process did: asked to retire, or exited.
type event struct {
	child  *child
	retire bool
	err    error
}

func (s *supervisor) spawn() error {
	control, report, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd := exec.Command(s.binary, "serve")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{s.socket, report, s.metrics.file} // fds 3, 4, 5
	cmd.SysProcAttr = childAttributes()
	if err := cmd.Start(); err != nil {
		control.Close()
		report.Close()
		return err
	}
	report.Close()
	c := &child{cmd: cmd, started: time.Now()}
	if s.children == nil {
		s.children = map[*child]bool{}
	}
	s.children[c] = true
	s.current = c
	go func() {
		lines := bufio.NewScanner(control)
		for lines.Scan() {
			if lines.Text() == "retire" {
				s.events <- event{child: c, retire: true}
			}
		}
		control.Close()
	}()
	go func() {
		err := cmd.Wait()
		s.events <- event{child: c, err: err}
	}()
	return nil
}

func (s *supervisor) loop(stop <-chan os.Signal) int {
	var restart <-chan time.Time
	for {
		select {
		case e := <-s.events:
			switch {
			case e.retire && e.child == s.current:
				s.failures = 0
				if err := s.spawn(); err != nil {
					logf("Cannot start a replacement function server: %v", err)
					return 1
				}
			case !e.retire:
				delete(s.children, e.child)
				if e.child == s.current {
					s.current = nil
					if time.Since(e.child.started) < 10*time.Second {
						s.failures++
					} else {
						s.failures = 0
					}
					delay := time.Duration(0)
					if s.failures > 1 {
						delay = min(time.Duration(1<<min(s.failures-2, 5))*100*time.Millisecond, 3*time.Second)
					}
					logf("The function server (pid %d) exited (%v); starting another in %s", e.child.cmd.Process.Pid, e.err, delay)
					restart = time.After(delay)
				}
			}
		case <-restart:
			restart = nil
			if err := s.spawn(); err != nil {
				logf("Cannot start the function server: %v", err)
				return 1
			}
		case <-stop:
			return s.stopAll()
		}
	}
}

// stopAll asks every function server to finish its invocations and waits for them.
func (s *supervisor) stopAll() int {
	for c := range s.children {
		c.cmd.Process.Signal(syscall.SIGTERM)
	}
	deadline := time.After(s.cfg.shutdown + 5*time.Second)
	for len(s.children) > 0 {
		select {
		case e := <-s.events:
			if !e.retire {
				delete(s.children, e.child)
			}
		case <-deadline:
			for c := range s.children {
				c.cmd.Process.Kill()
			}
			return 0
		}
	}
	return 0
}
