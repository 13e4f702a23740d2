package tus

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"

	tusd "github.com/tus/tusd/v2/pkg/handler"

	"github.com/oaq/custodia/storage"
)

// dataStore is tusd's view of the partials: every method acts for the
// caller in its context (Handler.ServeHTTP put it there) and answers an
// upload of another user as one that does not exist. Every error it
// returns is a tusd.Error, whose text is meant for the client.
type dataStore struct{ h *Handler }

var (
	_ tusd.DataStore           = dataStore{}
	_ tusd.TerminaterDataStore = dataStore{}
)

func (s dataStore) NewUpload(ctx context.Context, info tusd.FileInfo) (tusd.Upload, error) {
	c := callerOf(ctx)
	if c == nil {
		return nil, refLogin.in("es")
	}
	if info.SizeIsDeferred {
		return nil, refLength.in(c.lang)
	}
	u := c.view.User()
	r := record{ID: newID(), UserID: u.ID, User: u.Name, Path: target(info.MetaData), Size: info.Size,
		Meta: info.MetaData, Created: s.h.now()}
	if err := s.h.p.add(r, s.h.maxUnfinished); err != nil {
		if errors.Is(err, errTooMany) {
			return nil, refTooMany.in(c.lang)
		}
		return nil, s.h.failed(ctx, c, "create", r.Path, err)
	}
	return &upload{h: s.h, rec: r}, nil
}

func (s dataStore) GetUpload(ctx context.Context, id string) (tusd.Upload, error) {
	c := callerOf(ctx)
	if c == nil {
		return nil, tusd.ErrNotFound
	}
	r, ok := s.h.p.get(id, c.view.User().ID)
	if !ok {
		return nil, tusd.ErrNotFound
	}
	return &upload{h: s.h, rec: r}, nil
}

func (s dataStore) AsTerminatableUpload(u tusd.Upload) tusd.TerminatableUpload { return u.(*upload) }

// upload is one upload, as one request sees it.
type upload struct {
	h   *Handler
	rec record
}

func (u *upload) GetInfo(ctx context.Context) (tusd.FileInfo, error) {
	off, err := u.h.p.offset(u.rec)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return tusd.FileInfo{}, tusd.ErrNotFound
		}
		return tusd.FileInfo{}, u.h.failed(ctx, callerOf(ctx), "stat", u.rec.Path, err)
	}
	return tusd.FileInfo{ID: u.rec.ID, Size: u.rec.Size, Offset: off, MetaData: u.rec.Meta}, nil
}

// WriteChunk appends what src brings (tusd has checked the offset and
// bounds src by the size announced) and makes it durable before the
// offset is acknowledged. What arrived before a dropped connection is
// kept: the client resumes after it.
func (u *upload) WriteChunk(ctx context.Context, offset int64, src io.Reader) (int64, error) {
	c := callerOf(ctx)
	if u.rec.committed() {
		return 0, tusd.ErrMismatchOffset
	}
	f, err := u.h.p.root.OpenFile(u.rec.ID+partExt, os.O_WRONLY, 0)
	if err != nil {
		return 0, u.h.failed(ctx, c, "open", u.rec.Path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, u.h.failed(ctx, c, "stat", u.rec.Path, err)
	}
	if fi.Size() != offset {
		return 0, tusd.ErrMismatchOffset
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return 0, u.h.failed(ctx, c, "seek", u.rec.Path, err)
	}
	n, werr := io.Copy(&reserved{w: f, files: u.h.files}, src)
	if err := f.Sync(); err != nil {
		// The bytes are not known to be durable: cut them off, so the
		// offset the client learns next is one that survives a crash.
		f.Truncate(offset)
		return 0, u.h.failed(ctx, c, "fsync", u.rec.Path, err)
	}
	if werr != nil {
		if errors.Is(werr, storage.ErrQuota) {
			return n, refusalOf(werr).in(c.lang)
		}
		return n, u.h.failed(ctx, c, "write", u.rec.Path, werr)
	}
	return n, nil
}

func (u *upload) GetReader(ctx context.Context) (io.ReadCloser, error) {
	return nil, tusd.ErrNotImplemented // downloads go through the portal's pages
}

// FinishUpload commits the complete upload through storage's durable path:
// a new file (never a replacement) with the partial as its data, hashed,
// scanned, renamed into place and audited (storage.Upload.Close). Refused
// or failed, nothing is visible and the upload is forgotten: the client
// is told why and starts again.
func (u *upload) FinishUpload(ctx context.Context) error {
	c := callerOf(ctx)
	if c == nil {
		return refLogin.in("es")
	}
	if u.rec.committed() {
		return nil
	}
	sum, auditID, err := u.commit(ctx, c)
	if err != nil {
		if rerr := u.h.p.remove(u.rec.ID); rerr != nil {
			u.h.log.Error("tus: remove refused upload", "user", u.rec.User, "vpath", u.rec.Path, "err", rerr)
		}
		ref := refusalOf(err)
		if ref == refFailed {
			u.h.log.Error("tus: commit", "user", u.rec.User, "vpath", u.rec.Path, "err", err)
		}
		return ref.in(c.lang)
	}
	if err := u.h.p.commit(u.rec.ID, sum, auditID); err != nil {
		// The file is in place and audited; only the record of it is not.
		u.h.log.Error("tus: note committed upload", "user", u.rec.User, "vpath", u.rec.Path, "err", err)
	}
	u.rec.SHA256, u.rec.AuditID = sum, auditID
	c.auditID = auditID
	return nil
}

// commit puts the upload in place and returns its sha256 and the id of
// its audit row.
func (u *upload) commit(ctx context.Context, c *caller) (string, int64, error) {
	up, err := c.view.CreateNew(ctx, u.rec.Path)
	if err != nil {
		return "", 0, err
	}
	if err := up.Adopt(u.rec.ID + partExt); err != nil {
		up.Close() // discards it, with a failed audit row
		return "", 0, err
	}
	if err := up.Close(); err != nil {
		return "", 0, err
	}
	return up.SHA256(), up.AuditID(), nil
}

// Terminate forgets the upload and removes its data. A committed upload's
// file stays: only its record goes.
func (u *upload) Terminate(ctx context.Context) error {
	if err := u.h.p.remove(u.rec.ID); err != nil {
		return u.h.failed(ctx, callerOf(ctx), "remove", u.rec.Path, err)
	}
	return nil
}

// reserved writes to a partial while the disk keeps its reserve: it
// checks the reserve every reserveEvery bytes.
type reserved struct {
	w     io.Writer
	files *storage.Files
	since int64
}

const reserveEvery = 8 << 20

func (r *reserved) Write(p []byte) (int, error) {
	if r.since == 0 || r.since+int64(len(p)) > reserveEvery {
		if err := r.files.CheckReserve(); err != nil {
			return 0, err
		}
		r.since = 0
	}
	n, err := r.w.Write(p)
	r.since += int64(n)
	return n, err
}

// failed logs an internal failure for the server's log and returns the
// client's generic refusal.
func (h *Handler) failed(ctx context.Context, c *caller, op, vpath string, err error) error {
	lang, user := "es", ""
	if c != nil {
		lang, user = c.lang, c.view.User().Name
	}
	h.log.LogAttrs(ctx, slog.LevelError, "tus: "+op, slog.String("user", user), slog.String("vpath", vpath), slog.Any("err", err))
	return refFailed.in(lang)
}
