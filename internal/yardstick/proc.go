package yardstick

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of the CPU times in /proc/<pid>/stat
// (100 on Linux for every architecture Go supports).
const clockTicks = 100

// stat is what the program reads from /proc/<pid>/stat.
type stat struct {
	ppid int
	own  time.Duration // utime + stime
}

func readStat(pid int) (stat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return stat{}, err
	}
	// The command name is in parentheses and may hold anything; the
	// fields after the last ')' are plain.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return stat{}, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state): ppid is field 4, utime 14 … cstime 17.
	if len(f) < 15 {
		return stat{}, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	st := stat{}
	st.ppid, _ = strconv.Atoi(f[1])
	var ticks int64
	for _, v := range f[11:13] {
		n, _ := strconv.ParseInt(v, 10, 64)
		ticks += n
	}
	st.own = time.Duration(ticks) * time.Second / clockTicks
	return st, nil
}

// Tree is pid and every process descended from it, pid first.
func Tree(pid int) []int {
	ents, _ := os.ReadDir("/proc")
	children := map[int][]int{}
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := readStat(n); err == nil {
			children[st.ppid] = append(children[st.ppid], n)
		}
	}
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// CPUMeter follows the CPU time (user and system) a server's process
// tree uses while something runs. It reads every process of the tree
// every 20 ms and adds up, per process, the time it used between the
// first and the last reading: forked sessions that come and go count
// (a parent's "reaped children" figure cannot be relied on: a forking
// server's session may end after its parent, and then no one reaps it
// but init). What a process uses in its last 20 ms before it ends is
// lost; over a transfer of seconds that is noise.
type CPUMeter struct {
	stop chan struct{}
	done chan time.Duration
}

// MeasureCPU starts following pid's tree.
func MeasureCPU(pid int) *CPUMeter {
	m := &CPUMeter{stop: make(chan struct{}), done: make(chan time.Duration, 1)}
	type span struct{ first, last time.Duration }
	seen := map[int]*span{}
	read := func(initial bool) {
		for _, p := range Tree(pid) {
			st, err := readStat(p)
			if err != nil {
				continue // ended meanwhile
			}
			if s := seen[p]; s != nil {
				s.last = st.own
			} else if initial {
				seen[p] = &span{st.own, st.own} // there before the start
			} else {
				seen[p] = &span{0, st.own} // started since: all its time counts
			}
		}
	}
	read(true)
	go func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				read(false)
				var total time.Duration
				for _, s := range seen {
					total += s.last - s.first
				}
				m.done <- total
				return
			case <-t.C:
				read(false)
			}
		}
	}()
	return m
}

// Stop ends the measurement and returns the CPU time the tree used.
func (m *CPUMeter) Stop() time.Duration {
	close(m.stop)
	return <-m.done
}

// Memory is a process's resident memory, in KiB.
type Memory struct {
	RSS int64 // VmRSS now
	HWM int64 // VmHWM: the peak since start or since ResetPeak
}

// ReadMemory reads /proc/<pid>/status.
func ReadMemory(pid int) (Memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, err
	}
	var m Memory
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		f := strings.Fields(v)
		if !ok || len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		switch k {
		case "VmRSS":
			m.RSS = n
		case "VmHWM":
			m.HWM = n
		}
	}
	return m, nil
}

// TreePSS is the memory of pid's tree in KiB: the sum of each process's
// proportional set size (/proc/<pid>/smaps_rollup), so that the pages a
// forking server's processes share (its binary, libraries, what a fork
// did not copy) count once in all, not once per process as a sum of RSS
// would count them. For one process it is about its RSS.
func TreePSS(pid int) (int64, error) {
	var total int64
	for i, p := range Tree(pid) {
		kib, err := pss(p)
		if err != nil {
			if i == 0 {
				return 0, err
			}
			continue // ended meanwhile
		}
		total += kib
	}
	return total, nil
}

func pss(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Pss:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				return strconv.ParseInt(f[0], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("/proc/%d/smaps_rollup: no Pss", pid)
}

// ResetPeak sets a process's VmHWM back to its VmRSS (proc(5),
// clear_refs: 5), so that the next peak is the one of what follows.
func ResetPeak(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// PeakSampler follows a server tree's memory while something runs: the
// tree's PSS (TreePSS) sampled every 20 ms (a forking server's sessions
// come and go), and the root's VmHWM reset at the start (a single
// process's true peak, which no sampling misses).
type PeakSampler struct {
	pid  int
	stop chan struct{}
	done chan int64
}

// SamplePeak starts sampling pid's tree.
func SamplePeak(pid int) *PeakSampler {
	ResetPeak(pid)
	s := &PeakSampler{pid: pid, stop: make(chan struct{}), done: make(chan int64, 1)}
	go func() {
		var peak int64
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if kib, err := TreePSS(pid); err == nil {
				peak = max(peak, kib)
			}
			select {
			case <-s.stop:
				s.done <- peak
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// Stop ends the sampling and returns the peak in KiB: the larger of the
// sampled tree PSS and the root process's VmHWM.
func (s *PeakSampler) Stop() int64 {
	close(s.stop)
	peak := <-s.done
	if m, err := ReadMemory(s.pid); err == nil {
		peak = max(peak, m.HWM)
	}
	return peak
}

// WaitTree waits, at most 10 s, until pid's tree has at most n
// processes: the sessions a client ended are gone.
func WaitTree(pid, n int) error {
	for range 200 {
		if len(Tree(pid)) <= n {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("process %d still has %d processes after 10 s (want %d)", pid, len(Tree(pid)), n)
}
