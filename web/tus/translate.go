package tus

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
)

// tusdRefusals give a sentence, in both languages, to the errors tusd
// itself answers (its own English, or for ERR_INTERNAL_SERVER_ERROR a Go
// error's text, never reach the user): the code stays, the sentence is
// the catalogue's.
var tusdRefusals = func() map[string]refusal {
	protocol := refusal{"", 0,
		"El navegador envió una solicitud de subida que el servidor no admite; recargue la página y vuelva a intentarlo.",
		"The browser sent an upload request the server does not accept; reload the page and try again."}
	cut := refusal{"", 0,
		"La conexión se cortó durante la subida; vuelva a intentarlo.",
		"The connection was cut during the upload; try again."}
	m := map[string]refusal{
		"ERR_UPLOAD_INTERRUPTED": {"", 0,
			"La subida se interrumpió porque otra ventana o pestaña está subiendo el mismo archivo; súbalo desde una sola.",
			"The upload was interrupted because another window or tab is uploading the same file; upload it from one only."},
		"ERR_UPLOAD_LOCKED": {"", 0,
			"Otra solicitud está subiendo este archivo; espere un momento.",
			"Another request is uploading this file; wait a moment."},
		"ERR_LOCK_TIMEOUT": {"", 0,
			"El archivo sigue ocupado por otra subida; vuelva a intentarlo en un momento.",
			"The file is still held by another upload; try again in a moment."},
		"ERR_MISMATCHED_OFFSET": {"", 0,
			"El servidor y el navegador no coinciden en cuánto del archivo llegó; la subida continúa desde lo recibido.",
			"The server and the browser disagree on how much of the file arrived; the upload goes on from what was received."},
		"ERR_UPLOAD_NOT_FOUND": {"", 0,
			"Esta subida ya no existe (caducó o se canceló); vuelva a subir el archivo.",
			"This upload no longer exists (it expired or was cancelled); upload the file again."},
		"ERR_UPLOAD_SIZE_EXCEEDED": {"", 0,
			"Llegaron más datos que el tamaño anunciado del archivo; vuelva a subirlo.",
			"More data arrived than the file's announced size; upload it again."},
		"ERR_MAX_SIZE_EXCEEDED": refTooLarge,
		"ERR_SERVER_SHUTDOWN": {"", 0,
			"El servidor se está reiniciando; la subida continuará en cuanto vuelva.",
			"The server is restarting; the upload goes on as soon as it is back."},
		"ERR_UPLOAD_STOPPED":        refFailed,
		"ERR_INTERNAL_SERVER_ERROR": refFailed,
		"ERR_UNEXPECTED_EOF":        cut,
		"ERR_READ_TIMEOUT":          cut,
		"ERR_CONNECTION_RESET":      cut,
	}
	for _, code := range []string{"ERR_INVALID_OFFSET", "ERR_INVALID_CONTENT_TYPE", "ERR_INVALID_UPLOAD_LENGTH",
		"ERR_INVALID_UPLOAD_LENGTH_DEFER", "ERR_AMBIGUOUS_UPLOAD_LENGTH", "ERR_UNSUPPORTED_VERSION",
		"ERR_NOT_IMPLEMENTED", "ERR_UPLOAD_NOT_FINISHED", "ERR_MODIFY_FINAL", "ERR_UPLOAD_TERMINATION_REJECTED",
		"ERR_UPLOAD_REJECTED", "ERR_CONCATENATION_UNSUPPORTED", "ERR_INVALID_CONCAT", "ERR_ORIGIN_NOT_ALLOWED"} {
		m[code] = protocol
	}
	return m
}()

// translating holds back an error answer (status 400 and up) until the
// handler is done, to put the catalogue's sentence in place of tusd's.
// Other answers pass through.
type translating struct {
	http.ResponseWriter
	lang   string
	status int // held back; 0 while nothing is
	body   bytes.Buffer
}

func (t *translating) WriteHeader(code int) {
	if t.status != 0 {
		return
	}
	if code < 400 {
		t.status = -1 // passing through
		t.ResponseWriter.WriteHeader(code)
		return
	}
	t.status = code
}

func (t *translating) Write(b []byte) (int, error) {
	if t.status == 0 {
		t.WriteHeader(http.StatusOK)
	}
	if t.status > 0 {
		return t.body.Write(b)
	}
	return t.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController (tusd's deadlines) reach the
// connection.
func (t *translating) Unwrap() http.ResponseWriter { return t.ResponseWriter }

// finish sends a held-back answer, its sentence translated when tusd
// wrote it.
func (t *translating) finish() {
	if t.status <= 0 {
		return
	}
	body := t.body.Bytes()
	code, _, ok := strings.Cut(string(body), ": ")
	if ref, known := tusdRefusals[code]; ok && known {
		msg := ref.es
		if t.lang == "en" {
			msg = ref.en
		}
		body = []byte(code + ": " + msg + "\n")
		t.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	if len(body) > 0 {
		t.Header().Set("Content-Length", strconv.Itoa(len(body)))
	}
	t.ResponseWriter.WriteHeader(t.status)
	t.ResponseWriter.Write(body)
}
