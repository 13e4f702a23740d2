package gateway

import (
	"cmp"
	"errors"
	"net/netip"
	"slices"
	"sync/atomic"
	"time"

	"github.com/oaq/custodia/storage"
)

// TransferInfo is an upload or a download in flight, as Core.Transfers
// lists it: the file's virtual path as its session named it, and the
// bytes moved since it was opened.
type TransferInfo struct {
	Session, User, Protocol string
	Remote                  netip.Addr
	Path                    string
	Upload                  bool // false: a download
	Started                 time.Time
	Bytes                   int64
}

// flow is a transfer in flight of a live session (storage.Flow). Its
// bytes are counted with atomics only: the session's lock is taken when
// it begins and when it ends, never per write.
type flow struct {
	s       *LiveSession
	path    string
	in      bool
	started time.Time
	n       atomic.Int64
}

// Begin lists a transfer of the session until its End (storage.Counter).
func (s *LiveSession) Begin(vpath string, in bool) storage.Flow {
	t := &flow{s: s, path: vpath, in: in, started: time.Now()}
	s.tmu.Lock()
	if s.transfers == nil {
		s.transfers = make(map[*flow]struct{})
	}
	s.transfers[t] = struct{}{}
	s.tmu.Unlock()
	return t
}

// Count adds bytes moved, to the transfer and to its session.
func (t *flow) Count(n int64) {
	t.n.Add(n)
	if t.in {
		t.s.CountIn(n)
	} else {
		t.s.CountOut(n)
	}
}

// End takes the transfer off its session's list.
func (t *flow) End() {
	t.s.tmu.Lock()
	delete(t.s.transfers, t)
	t.s.tmu.Unlock()
}

// Transfers lists the uploads and downloads in flight of the live
// sessions, oldest first. A session's transfers leave the list with it.
func (c *Core) Transfers() []TransferInfo {
	c.sessions.mu.Lock()
	live := make([]*LiveSession, 0, len(c.sessions.m))
	for _, s := range c.sessions.m {
		live = append(live, s)
	}
	c.sessions.mu.Unlock()
	var out []TransferInfo
	for _, s := range live {
		s.tmu.Lock()
		for t := range s.transfers {
			out = append(out, TransferInfo{Session: s.id, User: s.user, Protocol: s.protocol, Remote: s.remote,
				Path: t.path, Upload: t.in, Started: t.started, Bytes: t.n.Load()})
		}
		s.tmu.Unlock()
	}
	slices.SortFunc(out, func(a, b TransferInfo) int {
		return cmp.Or(a.Started.Compare(b.Started), cmp.Compare(a.Session, b.Session), cmp.Compare(a.Path, b.Path))
	})
	return out
}

// errNoFiles is Space's error on a core without files.
var errNoFiles = errors.New("gateway: no files")

// Space reports the free and used bytes of the filesystem that holds the
// files under the data dir.
func (c *Core) Space() (storage.DiskSpace, error) {
	if c.files == nil {
		return storage.DiskSpace{}, errNoFiles
	}
	return c.files.Space()
}
