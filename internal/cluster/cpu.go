package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of /proc/<pid>/stat's times (USER_HZ, 100 on
// every Linux architecture Go supports).
const clockTick = 10 * time.Millisecond

// CPU is the CPU time (user + system) used so far by this process
// ("bench": the clients) and by every process under it, summed by
// command name: "custodia", "postgres", "versitygw", "haproxy"… A
// process's reaped children count with it (cutime, cstime), so the
// postgres backends that ended count as postgres.
func CPU() (map[string]time.Duration, error) {
	type proc struct {
		ppid int
		comm string
		cpu  time.Duration
	}
	procs := map[int]proc{}
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return nil, err
	}
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // ended meanwhile
		}
		s := string(b)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open {
			continue
		}
		pid, _ := strconv.Atoi(strings.TrimSpace(s[:open]))
		fields := strings.Fields(s[end+1:]) // from field 3 (state) on
		if len(fields) < 15 {
			continue
		}
		ppid, _ := strconv.Atoi(fields[1])
		var ticks int64
		for _, i := range []int{11, 12, 13, 14} { // utime stime cutime cstime (fields 14–17)
			n, _ := strconv.ParseInt(fields[i], 10, 64)
			ticks += n
		}
		procs[pid] = proc{ppid: ppid, comm: s[open+1 : end], cpu: time.Duration(ticks) * clockTick}
	}
	self := os.Getpid()
	me, ok := procs[self]
	if !ok {
		return nil, fmt.Errorf("/proc has no stat of this process")
	}
	out := map[string]time.Duration{"bench": me.cpu}
	for pid, p := range procs {
		for anc, hops := p.ppid, 0; anc > 1 && hops < 64; anc, hops = procs[anc].ppid, hops+1 {
			if anc == self {
				out[p.comm] += p.cpu
				break
			}
		}
		_ = pid
	}
	return out, nil
}
