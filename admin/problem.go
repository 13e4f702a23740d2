package admin

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// maxBody bounds a request body.
const maxBody = 64 << 10

// problem is an RFC 9457 problem detail; Field names the request field at
// fault, when one is.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Field  string `json:"field,omitempty"`
}

// apiError is an error the API answers with a problem.
type apiError struct {
	status     int
	field      string
	detail     string
	retryAfter int64 // seconds, sent as Retry-After when positive
}

func (e *apiError) Error() string { return e.detail }

func fail(status int, field, format string, a ...any) error {
	return &apiError{status: status, field: field, detail: fmt.Sprintf(format, a...)}
}

func badField(field, format string, a ...any) error {
	return fail(http.StatusUnprocessableEntity, field, format, a...)
}

// writeProblem answers err as a problem; an unexpected error is a 500
// whose detail stays in the log.
func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		s.log.Error("admin request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		ae = &apiError{status: http.StatusInternalServerError, detail: "internal error; see the server log"}
	}
	p := problem{Type: "about:blank", Title: http.StatusText(ae.status), Status: ae.status, Detail: ae.detail, Field: ae.field}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	if ae.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(ae.retryAfter, 10))
	}
	w.WriteHeader(ae.status)
	json.NewEncoder(w).Encode(p)
}

// decode reads a JSON body into v: one object, no unknown fields, at most
// maxBody bytes, sent as application/json. A body of any other type, or
// of none, is refused: a web page can make a browser send a form or
// text/plain to the API without asking (no CORS preflight), but never
// application/json, which the API sends no CORS header to allow.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	if !typedJSON(r) {
		return errNotJSON
	}
	rd := bufio.NewReader(http.MaxBytesReader(w, r.Body, maxBody))
	if b, err := peekNonSpace(rd); err == nil && b != '{' {
		return fail(http.StatusBadRequest, "", "send a JSON object")
	}
	dec := json.NewDecoder(rd)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var maxErr *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case err == nil:
	case errors.As(err, &maxErr):
		return fail(http.StatusRequestEntityTooLarge, "", "the body is larger than %d bytes", maxBody)
	case errors.Is(err, io.EOF):
		return fail(http.StatusBadRequest, "", "the body is empty; send a JSON object")
	case errors.As(err, &typeErr):
		return fail(http.StatusBadRequest, typeErr.Field, "field %q: want %s", typeErr.Field, typeErr.Type)
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return fail(http.StatusBadRequest, "", "malformed JSON: %v", err)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return fail(http.StatusBadRequest, field, "unknown field %q", field)
	default:
		return fail(http.StatusBadRequest, "", "malformed JSON: %v", err)
	}
	if dec.More() {
		return fail(http.StatusBadRequest, "", "send one JSON object")
	}
	return nil
}

// peekNonSpace returns the first byte that is not white space, unread.
func peekNonSpace(rd *bufio.Reader) (byte, error) {
	for range maxBody {
		b, err := rd.Peek(1)
		if err != nil {
			return 0, err
		}
		if !strings.ContainsRune(" \t\r\n", rune(b[0])) {
			return b[0], nil
		}
		rd.ReadByte()
	}
	return 0, io.EOF
}

// writeJSON answers v with a status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

var errNotJSON = fail(http.StatusUnsupportedMediaType, "", "send the body as Content-Type: application/json")

// typedJSON reports whether r says its body is application/json.
func typedJSON(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

// refuseUntypedBody refuses, on every route, a body that is not
// application/json, also where the route reads no body (a skip, a
// retry, a DELETE): what decode refuses is refused there too, so a body a
// web page can send without asking never acts. A chunked body is looked
// into: one with no bytes is no body.
func refuseUntypedBody(r *http.Request) error {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 || typedJSON(r) {
		return nil
	}
	if r.ContentLength < 0 {
		br := bufio.NewReader(r.Body)
		_, err := br.Peek(1)
		r.Body = struct {
			io.Reader
			io.Closer
		}{br, r.Body}
		if err != nil {
			return nil
		}
	}
	return errNotJSON
}
