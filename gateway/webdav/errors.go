package webdav

import (
	"errors"
	"net/http"

	"github.com/oaq/custodia/storage"
)

// statusOf is the one mapping from storage errors to HTTP statuses. A
// name the user may not see is 404, a denial 403; a missing or hidden
// folder under a new name is 409, as RFC 4918 asks for PUT and MKCOL.
// 0 means the error is not a storage error and the handler's status
// stands.
func statusOf(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, storage.ErrNoFolder):
		return http.StatusConflict
	case errors.Is(err, storage.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, storage.ErrDenied), errors.Is(err, storage.ErrNotEmpty):
		return http.StatusForbidden
	case errors.Is(err, storage.ErrExists), errors.Is(err, storage.ErrIsDir):
		return http.StatusMethodNotAllowed
	case errors.Is(err, storage.ErrNotDir):
		return http.StatusConflict
	case errors.Is(err, storage.ErrInvalidPath):
		return http.StatusBadRequest
	case errors.Is(err, storage.ErrQuota):
		return http.StatusInsufficientStorage
	case errors.Is(err, storage.ErrUnsupported):
		return http.StatusNotImplemented
	case errors.Is(err, storage.ErrInfected):
		return http.StatusUnprocessableEntity
	case errors.Is(err, storage.ErrNotScanned):
		return http.StatusServiceUnavailable
	case errors.Is(err, storage.ErrFailed):
		return http.StatusInternalServerError
	}
	var pe *storage.PathError
	if errors.As(err, &pe) {
		return http.StatusInternalServerError
	}
	return 0
}

// bodyOf is the text of an error response for err: the antivirus's
// refusals say why, every other error only its status's text.
func bodyOf(err error, code int) string {
	for _, s := range []error{storage.ErrInfected, storage.ErrNotScanned} {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return http.StatusText(code)
}
