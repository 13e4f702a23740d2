package storage

import (
	"errors"
	"time"
)

// errTimesIgnored is what a backend that cannot keep a file's times
// answers a change of them with when it is told to ignore them
// (S3Options.IgnoreTimes): the change succeeds, stores nothing, and is not
// audited, since nothing changed.
var errTimesIgnored = errors.New("times ignored")

// keepsTimes says whether a client's change of a file's times is kept:
// nil on local disk; in an object store errTimesIgnored or, when the
// changes are refused, ErrUnsupported.
func (f *Files) keepsTimes() error {
	b, ok := f.objects.(*s3Backend)
	switch {
	case !ok:
		return nil
	case b.ignoreTimes:
		return errTimesIgnored
	}
	return ErrUnsupported
}

// SetTimesAsked records the times a client asked for while its upload is
// open (OpenSSH's "put -p" sets them on the handle), as SetTimes does
// where the files keep times. In an object store, which cannot, it is
// refused as unsupported, or, when such changes are ignored, answered
// with success and forgotten.
func (u *Upload) SetTimesAsked(atime, mtime time.Time) error {
	switch err := u.v.files.keepsTimes(); {
	case errors.Is(err, errTimesIgnored):
		return nil
	case err != nil:
		return &PathError{Op: "chtimes", Path: u.t.vpath.String(), Err: err}
	}
	u.SetTimes(atime, mtime)
	return nil
}
