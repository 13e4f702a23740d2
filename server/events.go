package server

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/oaq/custodia/config"
	"github.com/oaq/custodia/events"
	"github.com/oaq/custodia/notify"
	"github.com/oaq/custodia/store"
)

// Hooks turns the configuration's hooks into the dispatcher's, checking
// the event types and roles they filter on.
func Hooks(cfg config.Config) ([]events.Hook, error) {
	var out []events.Hook
	for i, h := range cfg.Hooks {
		for _, e := range h.Events {
			if !slices.Contains(store.EventTypes(), e) {
				return nil, fmt.Errorf("hooks[%d] %s: event %q: want one of %s", i, h.Name, e, strings.Join(store.EventTypes(), ", "))
			}
		}
		for _, r := range h.Roles {
			if _, err := store.ParseRole(r); err != nil {
				return nil, fmt.Errorf("hooks[%d] %s: %w", i, h.Name, err)
			}
		}
		eh := events.Hook{Name: h.Name, Command: h.Command, URL: h.URL, Secret: h.Secret,
			Timeout: h.Timeout.Duration, Backoff: h.Backoff.Duration, MaxAttempts: h.MaxAttempts, Events: h.Events, Roles: h.Roles, Paths: h.Paths}
		if eh.Timeout == 0 {
			eh.Timeout = 10 * time.Second
		}
		if eh.Backoff == 0 {
			eh.Backoff = time.Second
		}
		out = append(out, eh)
	}
	return out, nil
}

// startEvents runs the dispatcher, and the notifier's digests when there
// is one, until the gateway stops.
func (s *Server) startEvents(ctx context.Context, hooks []events.Hook, mailer *notify.Notifier) {
	d := events.New(events.Options{Store: s.state.Store, Hooks: hooks, Logger: s.log, Metrics: s.metrics})
	s.events = make(chan struct{})
	go func() {
		defer close(s.events)
		var wg sync.WaitGroup
		if mailer != nil {
			wg.Go(func() { mailer.Run(ctx) })
		}
		d.Run(ctx)
		wg.Wait()
	}()
	if len(hooks) > 0 {
		names := make([]string, len(hooks))
		for i, h := range hooks {
			names[i] = h.Name
		}
		s.log.Info("hooks", "names", strings.Join(names, ","))
	}
}
