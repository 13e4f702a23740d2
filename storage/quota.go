package storage

import (
	"context"
	"errors"
	"io/fs"

	"golang.org/x/sys/unix"

	"github.com/oaq/custodia/store"
)

// Accounts loads the quotas and usage an upload is checked against
// (store.Store). Usage itself is charged by the store, in the transaction
// that writes each operation's audit row (store/quota.go says to whom).
type Accounts interface {
	UploadAccounts(ctx context.Context, user, spath string) (store.UploadAccounts, error)
	ChargesUnder(ctx context.Context, spath string) ([]store.Charge, error)
}

// Limits bound what uploads may take. The zero value bounds nothing.
type Limits struct {
	// Accounts, when set, enforces the user's and the client account's
	// bytes and file-count quotas.
	Accounts Accounts
	// MaxFileSize is the largest file a user of each role may store;
	// 0 (or a role not listed) is no limit.
	MaxFileSize map[store.Role]int64
	// The reserve of the files' filesystem that uploads may not take: the
	// larger of MinFreeBytes and MinFreePercent of its size; 0 for none.
	MinFreeBytes   int64
	MinFreePercent float64
}

// freeCheckEvery is how many bytes an upload may grow between two checks
// of the disk reserve (one statfs each).
const freeCheckEvery = 8 << 20

// SetLimits sets the limits every later upload is held to. Call it before
// the tree is served.
func (f *Files) SetLimits(l Limits) { f.limits = l }

// quotaError is a refusal for size: it is ErrQuota to errors.Is, with its
// own text for the protocols that can send one.
type quotaError string

func (e quotaError) Error() string        { return string(e) }
func (e quotaError) Is(target error) bool { return target == ErrQuota }

// The ways an upload is refused for size; each is ErrQuota to errors.Is.
var (
	ErrTooLarge    error = quotaError("file too large")
	ErrDiskReserve error = quotaError("insufficient storage")
)

// checkFree refuses when the free space of the files' filesystem is below
// the reserve. It fails closed when the filesystem cannot be asked.
func (f *Files) checkFree() error {
	l := f.limits
	if l.MinFreeBytes <= 0 && l.MinFreePercent <= 0 {
		return nil
	}
	avail, reserve, _, err := f.disk()
	if err != nil {
		return &PathError{Op: "statfs", Err: ErrFailed, Cause: err}
	}
	if avail < reserve {
		return ErrDiskReserve
	}
	return nil
}

// disk is the free space of the files' filesystem, the reserve uploads
// may not take, and the space in use.
func (f *Files) disk() (avail, reserve, used int64, err error) {
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(f.inDir.Fd()), &st); err != nil {
		return 0, 0, 0, err
	}
	l := f.limits
	avail = int64(st.Bavail) * st.Bsize
	reserve = max(l.MinFreeBytes, int64(l.MinFreePercent/100*float64(st.Blocks)*float64(st.Bsize)))
	return avail, reserve, int64(st.Blocks-st.Bfree) * st.Bsize, nil
}

// QuotaSpace is what RFC 4331's properties say of folder name: Free is
// the least room of the disk (above its reserve), the user's bytes quota
// and the quota of the client account whose folder it is; Used is the
// usage of the account that leaves the least room, or the disk's use
// when no quota is tighter than the disk.
func (v *View) QuotaSpace(ctx context.Context, name string) (DiskSpace, error) {
	t, err := v.resolve(name)
	if err != nil {
		return DiskSpace{}, pathErr("quota", name, err)
	}
	avail, reserve, used, err := v.files.disk()
	if err != nil {
		return DiskSpace{}, &PathError{Op: "quota", Path: t.vpath.String(), Err: ErrFailed, Cause: err}
	}
	free := max(avail-reserve, 0)
	if acc := v.files.limits.Accounts; acc != nil && t.mount != nil {
		a, err := acc.UploadAccounts(ctx, v.user.Name, t.spath)
		if err != nil {
			return DiskSpace{}, &PathError{Op: "quota", Path: t.vpath.String(), Err: ErrFailed, Cause: err}
		}
		for _, acct := range []store.Account{a.User, a.Client} {
			if q := acct.Quota.Bytes; acct.Name != "" && q > 0 && q-acct.Used.Bytes < free {
				free, used = max(q-acct.Used.Bytes, 0), acct.Used.Bytes
			}
		}
	}
	return DiskSpace{Free: uint64(free), Used: uint64(used)}, nil
}

// uploadLimit is the largest size an upload by v's user to t may reach,
// -1 for no limit, and the error that refuses it past that size. It
// refuses the upload outright (err) when the disk reserve is reached or an
// account has no room left for one more file. An upload of a folder copy
// (c) counts what the copy staged before it, and less what the tree it
// replaces is charged (TreeCopy.pending).
func (v *View) uploadLimit(ctx context.Context, t target, c *TreeCopy) (limit int64, why, err error) {
	l := v.files.limits
	limit, why = -1, nil
	if m := l.MaxFileSize[v.user.Role]; m > 0 {
		limit, why = m, ErrTooLarge
	}
	if err := v.files.checkFree(); err != nil {
		return 0, nil, err
	}
	if l.Accounts == nil {
		return limit, why, nil
	}
	a, err := l.Accounts.UploadAccounts(ctx, v.user.Name, t.spath)
	if err != nil { // fail closed
		return 0, nil, &PathError{Op: "quota", Path: t.vpath.String(), Err: ErrFailed, Cause: err}
	}
	if c != nil {
		u, cl := c.pending(a.UserID, a.Client.Name)
		a.User.Used, a.Client.Used = addUsage(a.User.Used, u), addUsage(a.Client.Used, cl)
		a.Existing = nil // what a replaced tree frees is in pending
	}
	for _, acct := range []struct {
		a     store.Account
		frees bool // an overwrite frees what the replaced file is charged to this account
	}{
		{a.User, a.Existing != nil && a.Existing.UserID == a.UserID},
		{a.Client, a.Existing != nil && a.Client.Name != "" && a.Existing.Client == a.Client.Name},
	} {
		if acct.a.Name == "" {
			continue
		}
		q, used := acct.a.Quota, acct.a.Used
		if acct.frees {
			used.Bytes -= a.Existing.Bytes
			used.Files--
		}
		if q.Files > 0 && used.Files+1 > q.Files {
			return 0, nil, ErrQuota
		}
		if q.Bytes > 0 {
			room := q.Bytes - used.Bytes
			if room < 0 {
				return 0, nil, ErrQuota
			}
			if limit < 0 || room < limit {
				limit, why = room, ErrQuota
			}
		}
	}
	return limit, why, nil
}

// addUsage is a + b.
func addUsage(a, b store.Usage) store.Usage {
	return store.Usage{Bytes: a.Bytes + b.Bytes, Files: a.Files + b.Files}
}

// fits reports whether an account, used as it is, has room to grow by
// add: each of its quotas is checked where add grows it, so a change that
// takes nothing is never refused for an account already over.
func fits(acct store.Account, add store.Usage) bool {
	if acct.Name == "" {
		return true
	}
	q, u := acct.Quota, acct.Used
	if q.Files > 0 && add.Files > 0 && u.Files+add.Files > q.Files {
		return false
	}
	if q.Bytes > 0 && add.Bytes > 0 && u.Bytes+add.Bytes > q.Bytes {
		return false
	}
	return true
}

// renameRoom refuses (ErrQuota) a rename that moves files into the
// folders of a client account without room for them: a moved file keeps
// its uploader but is charged to the client account of its new place
// (store/quota.go), so what comes from another account (or from none)
// must fit dst's. A file replaced at dst frees its charge.
func (v *View) renameRoom(ctx context.Context, src, dst target) error {
	acc := v.files.limits.Accounts
	to := store.ClientOf(dst.spath)
	if acc == nil || to == "" || to == store.ClientOf(src.spath) {
		return nil
	}
	charges, err := acc.ChargesUnder(ctx, src.spath)
	if err != nil { // fail closed
		return &PathError{Op: "quota", Path: dst.vpath.String(), Err: ErrFailed, Cause: err}
	}
	var add store.Usage
	for _, c := range charges {
		if c.Client != to {
			add = addUsage(add, store.Usage{Bytes: c.Bytes, Files: 1})
		}
	}
	if add == (store.Usage{}) {
		return nil
	}
	a, err := acc.UploadAccounts(ctx, v.user.Name, dst.spath)
	if err != nil {
		return &PathError{Op: "quota", Path: dst.vpath.String(), Err: ErrFailed, Cause: err}
	}
	if e := a.Existing; e != nil && e.Client == to {
		add = addUsage(add, store.Usage{Bytes: -e.Bytes, Files: -1})
	}
	if !fits(a.Client, add) {
		return ErrQuota
	}
	return nil
}

// checkGrowth refuses a write that would make the upload's apparent size
// end (holes included) pass its limit, and checks the disk reserve every
// freeCheckEvery bytes of growth. Called with u.mu held.
func (u *Upload) checkGrowth(end int64) error {
	if u.limit >= 0 && end > u.limit {
		return u.limitErr
	}
	if end > u.nextFree {
		if err := u.v.files.checkFree(); err != nil {
			return err
		}
		u.nextFree = end + freeCheckEvery
	}
	return nil
}

// recheck checks, just before the upload is put in place, that it still
// fits the quotas as they are now: other uploads of the same accounts may
// have completed since it began. Called with u.mu held.
func (u *Upload) recheck(ctx context.Context) error {
	if u.v.files.limits.Accounts == nil {
		return nil
	}
	limit, why, err := u.v.uploadLimit(ctx, u.t, u.stage)
	if err != nil {
		return err
	}
	if limit >= 0 && u.size > limit {
		return why
	}
	return nil
}

// Walk returns every regular file of the tree's areas (storage path →
// size), as `quota scan` counts them; uploads in progress are not files.
// Its opens go through the gate (a FIFO is never opened, so never
// waited on), and a name removed while the walk runs is skipped.
func (f *Files) Walk() (map[string]int64, error) {
	out := map[string]int64{}
	for _, area := range []string{store.AreaClients, store.AreaDossiers, store.AreaDepartments, store.AreaRestores} {
		err := f.objects.walk(context.Background(), area, func(spath string, fi fs.FileInfo) error {
			if !fi.IsDir() {
				out[spath] = fi.Size()
			}
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, pathErr("walk", area, err)
		}
	}
	return out, nil
}

// FileSize is the size of the regular file at storage path spath, and
// whether there is one.
func (f *Files) FileSize(spath string) (int64, bool) {
	b, fi, err := f.objects.fileAt(context.Background(), spath)
	if err != nil {
		return 0, false
	}
	b.Close()
	return fi.Size(), true
}

// ScanUsage reconciles the store's usage with the tree (custodia quota
// scan): it walks the files, then has the store correct every charge and
// every account's usage, and returns the differences it fixed.
func (f *Files) ScanUsage(ctx context.Context, st *store.Store) ([]store.UsageDiff, error) {
	onDisk, err := f.Walk()
	if err != nil {
		return nil, err
	}
	return st.ReconcileUsage(ctx, onDisk, f.FileSize)
}
