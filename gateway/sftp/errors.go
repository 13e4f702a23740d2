package sftp

import (
	"errors"

	gosftp "github.com/pkg/sftp"

	"github.com/oaq/custodia/storage"
)

// statusOf maps a storage error to the SFTP status the client sees. The
// sentinels carry fixed texts, so no disk path or internal detail leaves.
func statusOf(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, storage.ErrNotFound), errors.Is(err, storage.ErrNotDir):
		return gosftp.ErrSSHFxNoSuchFile
	case errors.Is(err, storage.ErrDenied):
		return gosftp.ErrSSHFxPermissionDenied
	case errors.Is(err, storage.ErrUnsupported):
		return gosftp.ErrSSHFxOpUnsupported
	}
	return gosftp.ErrSSHFxFailure
}
