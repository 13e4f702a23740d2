package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oaq/custodia/store"
)

// The refusals of an upload by the antivirus. The front ends send these
// texts as they are.
var (
	ErrInfected   = errors.New("file rejected: infected")
	ErrNotScanned = errors.New("file rejected: virus scan unavailable, try again later")
)

// Scanner scans an upload's content before it becomes visible (clamd).
type Scanner interface {
	// Scan returns the name of the signature r matches, "" when it
	// matches none; an error when r could not be scanned.
	Scan(ctx context.Context, r io.Reader) (string, error)
}

// Antivirus is what SetAntivirus needs.
type Antivirus struct {
	Scanner Scanner
	// Quarantine is the folder (outside files/, created 0700) that
	// infected uploads are moved to.
	Quarantine string
	// AllowUnscanned are the roles whose uploads go in place when the
	// scanner cannot scan them (clamd down, a file over its limit); the
	// others' are refused.
	AllowUnscanned []store.Role
	Logger         *slog.Logger          // nil: discard
	Metrics        prometheus.Registerer // nil: none
}

// antivirus is an Antivirus in use.
type antivirus struct {
	scanner    Scanner
	allow      []store.Role
	quarantine *os.File // the folder, for renameat
	qroot      *os.Root
	log        *slog.Logger
	scans      *prometheus.CounterVec // result: clean, infected, unscanned
	unscanned  *prometheus.CounterVec // role, decision: allowed, refused
}

// SetAntivirus makes every upload through f scanned before it is put in
// place. Call it once, before anything serves f. Without it uploads are
// not scanned, at no cost.
func (f *Files) SetAntivirus(a Antivirus) error {
	if err := os.MkdirAll(a.Quarantine, 0o700); err != nil {
		return fmt.Errorf("storage: quarantine: %w", err)
	}
	root, err := os.OpenRoot(a.Quarantine)
	if err != nil {
		return fmt.Errorf("storage: quarantine: %w", err)
	}
	dir, err := openDir(root, ".")
	if err != nil {
		root.Close()
		return fmt.Errorf("storage: quarantine: %w", err)
	}
	av := &antivirus{scanner: a.Scanner, allow: a.AllowUnscanned, quarantine: dir, qroot: root, log: a.Logger,
		scans: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "custodia_antivirus_scans_total", Help: "Uploads scanned, by result (clean, infected, unscanned).",
		}, []string{"result"}),
		unscanned: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "custodia_antivirus_unscanned_total",
			Help: "Uploads the antivirus could not scan (clamd unreachable, a file over its limit), by role and decision (allowed, refused).",
		}, []string{"role", "decision"}),
	}
	if av.log == nil {
		av.log = slog.New(slog.DiscardHandler)
	}
	if a.Metrics != nil {
		if err := registerAll(a.Metrics, av.scans, av.unscanned); err != nil {
			dir.Close()
			root.Close()
			return fmt.Errorf("storage: antivirus metrics: %w", err)
		}
	}
	f.av = av
	return nil
}

func registerAll(reg prometheus.Registerer, cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

func (a *antivirus) close() error {
	return errors.Join(a.quarantine.Close(), a.qroot.Close())
}

// scan runs once the upload is complete, durable and hashed (sum), before
// it is noted pending and renamed into place. Clean: it returns "", nil.
// Infected: the file goes to the quarantine, an audit row with result
// infected and the signature as reason (and its upload.infected event)
// is written, and the upload is refused with ErrInfected. Not scanned:
// the role's policy either lets it through, with a note for its audit
// row, or refuses it with ErrNotScanned; both are counted and logged.
func (u *Upload) scan(ctx context.Context, sum string) (note string, err error) {
	av := u.v.files.av
	if av == nil {
		return "", nil
	}
	vpath := u.t.vpath.String()
	f, _, err := openServed(u.v.files.incoming, u.name, os.O_RDONLY, 0)
	if err != nil {
		u.discard()
		u.v.audit(ctx, string(u.act), u.t, nil, u.size, "", store.ResultFailed, "antivirus: reopen the upload: "+err.Error())
		return "", &PathError{Op: "close", Path: vpath, Err: ErrFailed, Cause: err}
	}
	sig, err := av.scanner.Scan(ctx, f)
	f.Close()
	log := av.log.With("user", u.v.user.Name, "role", string(u.v.user.Role), "proto", u.v.session.Protocol,
		"session", u.v.session.ID, "vpath", vpath, "bytes", u.size, "sha256", sum)
	switch {
	case err == nil && sig == "":
		av.scans.WithLabelValues("clean").Inc()
		return "", nil
	case err == nil:
		av.scans.WithLabelValues("infected").Inc()
		qname, qerr := av.move(u, time.Now())
		switch {
		case qerr != nil && qname == "":
			u.discard() // never visible, even if it cannot be kept
			log.Error("infected upload refused; it could not be quarantined and was deleted", "signature", sig, "err", qerr)
		case qerr != nil: // in the quarantine, but its mode or the entry may not be as meant
			log.Error("infected upload refused and quarantined; its mode or the quarantine's fsync failed", "signature", sig, "quarantine", qname, "err", qerr)
		default:
			log.Warn("infected upload refused and quarantined", "signature", sig, "quarantine", qname)
		}
		u.v.audit(ctx, string(u.act), u.t, nil, u.size, sum, store.ResultInfected, sig)
		return "", &PathError{Op: "close", Path: vpath, Err: ErrInfected, Cause: qerr}
	}
	av.scans.WithLabelValues("unscanned").Inc()
	if slices.Contains(av.allow, u.v.user.Role) {
		av.unscanned.WithLabelValues(string(u.v.user.Role), "allowed").Inc()
		log.Warn("upload not scanned; accepted by the policy for its role", "err", err)
		return "not scanned: " + err.Error(), nil
	}
	av.unscanned.WithLabelValues(string(u.v.user.Role), "refused").Inc()
	log.Warn("upload not scanned; refused by the policy for its role", "err", err)
	u.discard()
	u.v.audit(ctx, string(u.act), u.t, nil, u.size, sum, store.ResultDenied, "not scanned: "+err.Error())
	return "", &PathError{Op: "close", Path: vpath, Err: ErrNotScanned, Cause: err}
}

// move puts the upload's file in the quarantine, mode 0600, under a name
// made of the time and its storage path, and makes it durable there. It
// returns the name once the file is there, even when what follows fails.
func (a *antivirus) move(u *Upload, now time.Time) (string, error) {
	name := quarantineName(now, u.t.spath)
	err := renameAt(u.v.files.inDir, u.name, a.quarantine, name, false)
	if errors.Is(err, syscall.EXDEV) {
		err = a.copyIn(u, name)
	}
	if err != nil {
		return "", err
	}
	if err := a.qroot.Chmod(name, 0o600); err != nil {
		return name, err
	}
	return name, a.quarantine.Sync()
}

// copyIn copies the upload into the quarantine when it is on another
// filesystem, then removes it from .incoming.
func (a *antivirus) copyIn(u *Upload, name string) error {
	src, _, err := openServed(u.v.files.incoming, u.name, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, _, err := openServed(a.qroot, name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(dst, src)
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		a.qroot.Remove(name)
		return err
	}
	return u.v.files.removeTemp(u.name)
}

// quarantineName is "<UTC time>_<storage path, escaped>": one flat
// folder, the original path readable, no name reused. A path too long
// for one file name keeps its end, where the file's own name is.
func quarantineName(now time.Time, spath string) string {
	p := url.PathEscape(strings.TrimPrefix(spath, "/"))
	if len(p) > 200 {
		p = p[len(p)-200:]
	}
	return now.UTC().Format("20060102T150405.000000000Z") + "_" + p
}
