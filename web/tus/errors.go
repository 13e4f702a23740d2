package tus

import (
	"errors"
	"net/http"
	"strings"

	tusd "github.com/tus/tusd/v2/pkg/handler"

	"github.com/oaq/custodia/storage"
)

// refusal is an answer the client shows its user: a stable code (for a
// script, or a page that translates it), a status, and the sentence in
// Spanish and English.
type refusal struct {
	code   string
	status int
	es, en string
}

// The refusals a client may see. Each says what happened and what to do,
// never a disk path or Go error text.
var (
	refNotAllowed = refusal{"ERR_NOT_ALLOWED", http.StatusForbidden,
		"No se permite subir este archivo aquí: su tipo o la carpeta no lo admiten.",
		"This file may not be uploaded here: its type or the folder does not allow it."}
	refExists = refusal{"ERR_FILE_EXISTS", http.StatusConflict,
		"Ya existe un archivo con este nombre en la carpeta; cambie el nombre y vuelva a subirlo.",
		"A file with this name already exists in the folder; rename it and upload it again."}
	refNoFolder = refusal{"ERR_NO_FOLDER", http.StatusConflict,
		"La carpeta de destino no existe.",
		"The target folder does not exist."}
	refBadName = refusal{"ERR_BAD_NAME", http.StatusBadRequest,
		"El nombre del archivo no es válido.",
		"The file name is not valid."}
	refMissing = refusal{"ERR_MISSING_NAME", http.StatusBadRequest,
		"Faltan el nombre del archivo o la carpeta de destino.",
		"The file name or the target folder is missing."}
	refTooLarge = refusal{"ERR_TOO_LARGE", http.StatusRequestEntityTooLarge,
		"El archivo excede el tamaño máximo permitido.",
		"The file is larger than the largest size allowed."}
	refQuota = refusal{"ERR_QUOTA", http.StatusInsufficientStorage,
		"El archivo no cabe en la cuota de espacio.",
		"The file does not fit in the storage quota."}
	refNoSpace = refusal{"ERR_NO_SPACE", http.StatusInsufficientStorage,
		"El servidor no tiene espacio para este archivo; intente más tarde.",
		"The server has no room for this file; try again later."}
	refInfected = refusal{"ERR_INFECTED", http.StatusUnprocessableEntity,
		"Archivo rechazado: el antivirus encontró un virus.",
		"File rejected: the antivirus found a virus."}
	refNotScanned = refusal{"ERR_NOT_SCANNED", http.StatusServiceUnavailable,
		"Archivo rechazado: el antivirus no está disponible; intente más tarde.",
		"File rejected: the virus scan is unavailable; try again later."}
	refTooMany = refusal{"ERR_TOO_MANY_UPLOADS", http.StatusTooManyRequests,
		"Hay demasiadas subidas sin terminar; termine o cancele alguna.",
		"Too many unfinished uploads; finish or cancel one first."}
	refFailed = refusal{"ERR_UPLOAD_FAILED", http.StatusInternalServerError,
		"La subida falló; vuelva a intentarlo.",
		"The upload failed; please try again."}
	refLogin = refusal{"ERR_NOT_LOGGED_IN", http.StatusUnauthorized,
		"Inicie sesión para subir archivos.",
		"Log in to upload files."}
	refOrigin = refusal{"ERR_CROSS_ORIGIN", http.StatusForbidden,
		"Solicitud de otro sitio rechazada.",
		"Request from another site refused."}
	refLength = refusal{"ERR_NO_LENGTH", http.StatusBadRequest,
		"Se necesita el tamaño del archivo al empezar la subida.",
		"The file's size is needed when the upload starts."}
)

// in is the refusal as tusd sends it, in the language the request prefers.
func (r refusal) in(lang string) tusd.Error {
	msg := r.es
	if lang == "en" {
		msg = r.en
	}
	return tusd.NewError(r.code, msg, r.status)
}

// write sends the refusal outside tusd, as tusd would.
func (r refusal) write(w http.ResponseWriter, lang string) { writeError(w, r.in(lang)) }

// writeError sends a tusd error as tusd would.
func writeError(w http.ResponseWriter, e tusd.Error) {
	w.Header().Set("Tus-Resumable", "1.0.0")
	for k, v := range e.HTTPResponse.Header {
		w.Header().Set(k, v)
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(e.HTTPResponse.StatusCode)
	w.Write([]byte(e.HTTPResponse.Body))
}

// refusalOf is the one mapping of storage errors to refusals. A name the
// user may not see answers as a folder that does not exist.
func refusalOf(err error) refusal {
	switch {
	case errors.Is(err, storage.ErrExists), errors.Is(err, storage.ErrIsDir):
		return refExists
	case errors.Is(err, storage.ErrNoFolder), errors.Is(err, storage.ErrNotFound), errors.Is(err, storage.ErrNotDir):
		return refNoFolder
	case errors.Is(err, storage.ErrDenied):
		return refNotAllowed
	case errors.Is(err, storage.ErrBadName), errors.Is(err, storage.ErrInvalidPath):
		return refBadName
	case errors.Is(err, storage.ErrTooLarge):
		return refTooLarge
	case errors.Is(err, storage.ErrDiskReserve):
		return refNoSpace
	case errors.Is(err, storage.ErrQuota):
		return refQuota
	case errors.Is(err, storage.ErrInfected):
		return refInfected
	case errors.Is(err, storage.ErrNotScanned):
		return refNotScanned
	}
	return refFailed
}

// Refusal is the one mapping of a storage error to what the uploader is
// told, shared by the resumable uploads and the portal's plain upload
// form: a stable code (ERR_FILE_EXISTS…), the sentence in lang ("en" or
// else Spanish), and whether it is an internal failure, whose cause the
// caller logs and never shows.
func Refusal(err error, lang string) (code, message string, internal bool) {
	r := refusalOf(err)
	msg := r.es
	if lang == "en" {
		msg = r.en
	}
	return r.code, msg, r == refFailed
}

// langOf is "en" when the request's first preferred language is English,
// "es" otherwise: Spanish first.
func langOf(h http.Header) string {
	first, _, _ := strings.Cut(h.Get("Accept-Language"), ",")
	first, _, _ = strings.Cut(strings.TrimSpace(first), ";")
	if tag := strings.ToLower(first); tag == "en" || strings.HasPrefix(tag, "en-") {
		return "en"
	}
	return "es"
}
