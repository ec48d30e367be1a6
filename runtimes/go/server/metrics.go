package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// Prometheus metrics by HTTP method, kept in memory shared by the supervisor and every function
// server process it starts (an unlinked file mapped by all of them), so that the counts survive
// the replacement of a process after a timeout, and the 408 counted by the process that is
// replaced shows in the next one's /metrics.

var durationBuckets = [...]float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

const (
	methodSlots = 32
	nameLength  = 24
	slotFree    = 0
	slotClaimed = 1
	slotReady   = 2
	metricsSize = 16 << 10
)

// methodStats is one method's counters, at a fixed place in the shared memory.
type methodStats struct {
	state    uint32
	nameSize uint32
	name     [nameLength]byte
	calls    uint64
	failures uint64
	count    uint64
	sumNanos uint64
	buckets  [len(durationBuckets)]uint64
}

type metrics struct {
	file   *os.File
	table  *[methodSlots]methodStats
	byName sync.Map // method -> *methodStats, this process's index of the table
}

// newMetrics creates the shared memory (in the supervisor).
func newMetrics() (*metrics, error) {
	file, err := os.CreateTemp("", "kubeless-go-metrics-*")
	if err != nil {
		return nil, err
	}
	os.Remove(file.Name())
	if err := file.Truncate(metricsSize); err != nil {
		return nil, err
	}
	return openMetrics(file)
}

// openMetrics maps the shared memory (in a function server, from the inherited descriptor).
func openMetrics(file *os.File) (*metrics, error) {
	if unsafe.Sizeof([methodSlots]methodStats{}) > metricsSize {
		panic("metrics table too large")
	}
	memory, err := syscall.Mmap(int(file.Fd()), 0, metricsSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	return &metrics{file: file, table: (*[methodSlots]methodStats)(unsafe.Pointer(&memory[0]))}, nil
}

// stats finds or claims the slot of a method; nil when the table is full.
func (m *metrics) stats(method string) *methodStats {
	if found, ok := m.byName.Load(method); ok {
		return found.(*methodStats)
	}
	name := method
	if len(name) > nameLength {
		name = name[:nameLength]
	}
	for i := range m.table {
		slot := &m.table[i]
		for {
			state := atomic.LoadUint32(&slot.state)
			if state == slotFree && atomic.CompareAndSwapUint32(&slot.state, slotFree, slotClaimed) {
				copy(slot.name[:], name)
				slot.nameSize = uint32(len(name))
				atomic.StoreUint32(&slot.state, slotReady)
				state = slotReady
			}
			if state == slotReady {
				break
			}
			time.Sleep(time.Microsecond) // another process is writing this slot's name
		}
		if string(slot.name[:slot.nameSize]) == name {
			m.byName.Store(method, slot)
			return slot
		}
	}
	return nil
}

func (m *metrics) observe(method string, elapsed time.Duration, failed bool) {
	slot := m.stats(method)
	if slot == nil {
		return
	}
	atomic.AddUint64(&slot.calls, 1)
	if failed {
		atomic.AddUint64(&slot.failures, 1)
	}
	// Each bucket counts its own range only (one add); render sums them up.
	seconds := elapsed.Seconds()
	for i, bound := range durationBuckets {
		if seconds <= bound {
			atomic.AddUint64(&slot.buckets[i], 1)
			break
		}
	}
	atomic.AddUint64(&slot.sumNanos, uint64(elapsed))
	atomic.AddUint64(&slot.count, 1)
}

// render writes the Prometheus text format.
func (m *metrics) render() string {
	type row struct {
		name string
		slot *methodStats
	}
	var rows []row
	for i := range m.table {
		slot := &m.table[i]
		if atomic.LoadUint32(&slot.state) == slotReady {
			rows = append(rows, row{string(slot.name[:slot.nameSize]), slot})
		}
	}
	var out strings.Builder
	out.WriteString("# HELP function_calls_total Number of calls to user function\n# TYPE function_calls_total counter\n")
	for _, r := range rows {
		fmt.Fprintf(&out, "function_calls_total{method=%q} %d\n", r.name, atomic.LoadUint64(&r.slot.calls))
	}
	out.WriteString("# HELP function_failures_total Number of exceptions in user function\n# TYPE function_failures_total counter\n")
	for _, r := range rows {
		fmt.Fprintf(&out, "function_failures_total{method=%q} %d\n", r.name, atomic.LoadUint64(&r.slot.failures))
	}
	out.WriteString("# HELP function_duration_seconds Duration of user function in seconds\n# TYPE function_duration_seconds histogram\n")
	for _, r := range rows {
		count := atomic.LoadUint64(&r.slot.count)
		cumulative := uint64(0)
		for i, bound := range durationBuckets {
			cumulative += atomic.LoadUint64(&r.slot.buckets[i])
			fmt.Fprintf(&out, "function_duration_seconds_bucket{method=%q,le=\"%s\"} %d\n", r.name,
				strconv.FormatFloat(bound, 'g', -1, 64), min(cumulative, count))
		}
		fmt.Fprintf(&out, "function_duration_seconds_bucket{method=%q,le=\"+Inf\"} %d\n", r.name, count)
		fmt.Fprintf(&out, "function_duration_seconds_sum{method=%q} %s\n", r.name,
			strconv.FormatFloat(time.Duration(atomic.LoadUint64(&r.slot.sumNanos)).Seconds(), 'g', -1, 64))
		fmt.Fprintf(&out, "function_duration_seconds_count{method=%q} %d\n", r.name, count)
	}
	return out.String()
}
