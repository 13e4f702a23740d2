package ftp

import (
	"errors"

	ftpserver "github.com/fclairamb/ftpserverlib"

	"github.com/oaq/custodia/storage"
)

// reply is an error whose text is safe to send: ftpserverlib puts a
// driver's error text in its replies. code, when set, picks the reply
// code (552 or 553) through the library's sentinels.
type reply struct {
	text string
	code error
}

func (r *reply) Error() string { return r.text }
func (r *reply) Unwrap() error { return r.code }

var (
	errTLSFirst    = &reply{text: "TLS required: send AUTH TLS first (the password was not checked)"}
	errUnsupported = &reply{text: "Command not supported"}
	errSeek        = &reply{text: "Restart position not supported for this transfer"}
	errNotReadable = &reply{text: "Transfer not readable"}
	errNotWritable = &reply{text: "Transfer not writable"}
	errHashAlgo    = &reply{text: "Only SHA-256 and SHA-512 are offered"}
)

// replyOf maps a storage error to the one the client sees: a neutral
// text, never a disk path or a Go error; denied is 550 like not found,
// every refusal for size 552 (quota, file too large, disk reserve), a bad
// name 553.
func replyOf(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, storage.ErrNotFound), errors.Is(err, storage.ErrNotDir):
		return &reply{text: "No such file or folder"}
	case errors.Is(err, storage.ErrDenied):
		return &reply{text: "Permission denied"}
	case errors.Is(err, storage.ErrExists):
		return &reply{text: "Already exists"}
	case errors.Is(err, storage.ErrNotEmpty):
		return &reply{text: "Folder not empty"}
	case errors.Is(err, storage.ErrIsDir):
		return &reply{text: "Is a folder"}
	case errors.Is(err, storage.ErrInvalidPath):
		return &reply{text: "File name not allowed", code: ftpserver.ErrFileNameNotAllowed}
	case errors.Is(err, storage.ErrTooLarge):
		return &reply{text: "File too large", code: ftpserver.ErrStorageExceeded}
	case errors.Is(err, storage.ErrDiskReserve):
		return &reply{text: "Insufficient storage", code: ftpserver.ErrStorageExceeded}
	case errors.Is(err, storage.ErrQuota):
		return &reply{text: "Quota exceeded", code: ftpserver.ErrStorageExceeded}
	case errors.Is(err, storage.ErrUnsupported):
		return errUnsupported
	case errors.Is(err, storage.ErrInfected): // 550
		return &reply{text: storage.ErrInfected.Error()}
	case errors.Is(err, storage.ErrNotScanned):
		return &reply{text: storage.ErrNotScanned.Error()}
	}
	var r *reply
	if errors.As(err, &r) {
		return r
	}
	return &reply{text: "Operation failed"}
}
