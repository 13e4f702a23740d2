package sftp

import (
	"errors"

	gosftp "github.com/pkg/sftp"

	"github.com/oaq/custodia/storage"
)

// errBadName is SSH_FX_FAILURE with a text that says why.
var errBadName = &status{text: "invalid name", code: gosftp.ErrSSHFxFailure}

// status is an SFTP status code with its own message: pkg/sftp sends
// Error() as the message and finds the code by unwrapping.
type status struct {
	text string
	code error
}

func (s *status) Error() string { return s.text }
func (s *status) Unwrap() error { return s.code }

// statusOf maps a storage error to the SFTP status the client sees. The
// sentinels carry fixed texts, so no disk path or internal detail leaves.
// Every refusal for size is SSH_FX_FAILURE with a fixed message: "file too
// large" (the role's maximum), "insufficient storage" (the disk reserve),
// "quota exceeded" (an account's quota); so is every refusal by the
// antivirus, with its own text.
func statusOf(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, storage.ErrTooLarge):
		return &status{text: "file too large", code: gosftp.ErrSSHFxFailure}
	case errors.Is(err, storage.ErrDiskReserve):
		return &status{text: "insufficient storage", code: gosftp.ErrSSHFxFailure}
	case errors.Is(err, storage.ErrQuota):
		return &status{text: "quota exceeded", code: gosftp.ErrSSHFxFailure}
	case errors.Is(err, storage.ErrNotFound), errors.Is(err, storage.ErrNotDir):
		return gosftp.ErrSSHFxNoSuchFile
	case errors.Is(err, storage.ErrDenied):
		return gosftp.ErrSSHFxPermissionDenied
	case errors.Is(err, storage.ErrUnsupported):
		return gosftp.ErrSSHFxOpUnsupported
	case errors.Is(err, storage.ErrBadName):
		return errBadName
	case errors.Is(err, storage.ErrInfected):
		return &status{text: storage.ErrInfected.Error(), code: gosftp.ErrSSHFxFailure}
	case errors.Is(err, storage.ErrNotScanned):
		return &status{text: storage.ErrNotScanned.Error(), code: gosftp.ErrSSHFxFailure}
	case errors.Is(err, storage.ErrExists):
		return &status{text: "already exists", code: gosftp.ErrSSHFxFailure}
	}
	return gosftp.ErrSSHFxFailure
}
