package server

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oaq/custodia/gateway"
)

// StartPeer starts a second gateway in this process over srv's store,
// files and policies, as a second custodia process over one database
// would be: its own core (gateway id, defender over the store, session
// registry and heartbeat), its own listeners on the configuration's
// addresses (127.0.0.1:0 in tests), its own portal and console session
// tables. It stops when ctx ends or at Stop; srv keeps the data dir.
func StartPeer(ctx context.Context, srv *Server) (*Peer, error) {
	reg := prometheus.NewRegistry()
	st := *srv.state // the same database and files, under an id of its own
	st.Store = st.Store.ForGateway(st.Store.Gateway() + "-peer")
	core, err := gateway.New(coreOptions(srv.cfg, &st, defender(srv.cfg, st.Store, srv.log), srv.log, reg))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	p := &Server{cfg: srv.cfg, state: &st, cancel: cancel, done: make(chan error, 7), log: srv.log, core: core,
		metrics: reg, runner: srv.runner, beats: make(chan struct{})}
	if err := p.startListeners(ctx, nil); err != nil {
		cancel()
		p.stopListeners(context.Background())
		return nil, err
	}
	go func() {
		defer close(p.beats)
		core.Run(ctx)
	}()
	return &Peer{Server: p}, nil
}

// Peer is a second gateway over a server's data dir.
type Peer struct{ *Server }

// Stop stops the peer's listeners and heartbeat (its sessions leave the
// shared registry); the data dir stays open.
func (p *Peer) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p.stopListeners(ctx)
	p.cancel()
	<-p.beats
}
