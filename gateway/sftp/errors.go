package sftp

import (
	"errors"

	gosftp "github.com/pkg/sftp"

	"github.com/oaq/custodia/storage"
)

// failure is SSH_FX_FAILURE with a message the client shows: pkg/sftp
// sends any error it does not know as a failure with the error's text.
type failure string

func (f failure) Error() string { return string(f) }

// statusOf maps a storage error to the SFTP status the client sees. The
// sentinels carry fixed texts, so no disk path or internal detail leaves.
// Every refusal for size is SSH_FX_FAILURE with a fixed message: "file too
// large" (the role's maximum), "insufficient storage" (the disk reserve),
// "quota exceeded" (an account's quota).
func statusOf(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, storage.ErrTooLarge):
		return failure("file too large")
	case errors.Is(err, storage.ErrDiskReserve):
		return failure("insufficient storage")
	case errors.Is(err, storage.ErrQuota):
		return failure("quota exceeded")
	case errors.Is(err, storage.ErrNotFound), errors.Is(err, storage.ErrNotDir):
		return gosftp.ErrSSHFxNoSuchFile
	case errors.Is(err, storage.ErrDenied):
		return gosftp.ErrSSHFxPermissionDenied
	case errors.Is(err, storage.ErrUnsupported):
		return gosftp.ErrSSHFxOpUnsupported
	}
	return gosftp.ErrSSHFxFailure
}
