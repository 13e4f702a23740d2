package server

import (
	"log/slog"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oaq/custodia/config"
	"github.com/oaq/custodia/gateway"
)

// coreOptions are the shared core's options from the configuration.
func coreOptions(cfg config.Config, state *State, d *gateway.Defender, log *slog.Logger, reg prometheus.Registerer) gateway.Options {
	l := cfg.Limits
	unauth, unauthPerIP := l.Unauthenticated()
	return gateway.Options{
		Store: state.Store, Files: state.Files, Decider: state.Enforcer, Defender: d, Logger: log, Metrics: reg,
		Shared: gateway.SharedOptions{ID: state.Store.Gateway()},
		Limits: gateway.Limits{Total: l.MaxConnections, PerAddr: l.MaxConnectionsPerIP, Unauth: unauth,
			UnauthPerAddr: unauthPerIP, LoginTimeout: l.LoginTimeout.Duration},
		Hashes:    gateway.HashPoolOptions{Size: l.PasswordChecks, Wait: l.PasswordWait.Duration},
		OpenFiles: gateway.OpenFileLimits{PerSession: l.MaxOpenFilesPerSession, PerUser: l.MaxOpenFilesPerUser},
		Proxy:     gateway.ProxyProtocol{Trusted: cfg.ProxyProtocol.Prefixes(), HeaderTimeout: cfg.ProxyProtocol.HeaderTimeout.Duration},
	}
}

// raiseFileLimit raises the soft limit on open files to the hard limit:
// every connection and every open file is a descriptor. It logs both.
// (Go's runtime already raises it at start on Linux; this makes it sure
// and says what the process runs with.)
func raiseFileLimit(log *slog.Logger) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		log.Warn("open file limit unknown", "err", err)
		return
	}
	soft := lim.Cur
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			log.Warn("open file limit not raised", "soft", soft, "hard", lim.Max, "err", err)
			return
		}
	}
	log.Info("open file limit", "soft_was", soft, "soft", lim.Cur, "hard", lim.Max)
}
