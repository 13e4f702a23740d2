package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"

	"github.com/oaq/custodia/store"
)

// Reconcile settles the uploads that a crash left between their pending
// note and their audit row (store.PendingUploads). A file found in place
// with the noted size and sha256 was renamed there: it gets its audit row
// and upload.completed event, with a reason saying it was recovered. Any
// other (not renamed, taken back, or replaced since) never completed: it
// gets a failed row. Run it at start, before anything serves the tree; it
// returns the rows it wrote.
func (f *Files) Reconcile(ctx context.Context, st *store.Store) ([]store.AuditEntry, error) {
	pending, err := st.PendingUploads(ctx)
	if err != nil {
		return nil, err
	}
	var out []store.AuditEntry
	for _, p := range pending {
		e := p.Entry
		e.At = time.Time{} // now: when it is settled
		if why := f.inPlace(ctx, e.SPath, e.Bytes, e.SHA256); why == "" {
			e.Result, e.Reason = store.ResultOK, "recovered at start: in place after a crash before its audit row"
		} else {
			e.Result, e.Reason = store.ResultFailed, "never completed (found at start after a crash): "+why
			e.SHA256 = ""
		}
		if _, err := st.CommitUpload(ctx, p.ID, e); err != nil {
			return out, fmt.Errorf("storage: reconcile %s: %w", e.VPath, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// inPlace says why the regular file at storage path spath is not the one
// with size n and sha256 sum, or "" when it is.
func (f *Files) inPlace(ctx context.Context, spath string, n int64, sum string) string {
	file, fi, err := f.objects.fileAt(ctx, spath)
	switch {
	case errors.Is(err, errNotRegular), errors.Is(err, errReplaced):
		return err.Error()
	case errors.Is(err, fs.ErrNotExist):
		return "not in place"
	case err != nil:
		return "cannot be read: " + err.Error()
	}
	defer file.Close()
	if fi.Size() != n {
		return "in place with another size"
	}
	h := sha256.New()
	if _, err := io.Copy(h, file); err != nil {
		return "cannot be read: " + err.Error()
	}
	if hex.EncodeToString(h.Sum(nil)) != sum {
		return "in place with other content"
	}
	return ""
}
