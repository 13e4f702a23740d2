package ui

import (
	"crypto/subtle"
	"net/http"
)

// CSRF protection, two layers, on every state-changing request:
//
//   - the form carries a token in the hidden field CSRFField: a logged-in
//     session's own token, or before login the value of the login cookie
//     (double submit: a page of another site can neither read nor set a
//     __Host- cookie of this one). It is compared in constant time, and a
//     POST without it is refused with 403;
//   - the browser's own word: net/http's CrossOriginProtection refuses a
//     request whose Sec-Fetch-Site, or else Origin, names another origin
//     (another port of the same host included).
const (
	// CSRFField is the hidden form field that carries the token.
	CSRFField = "csrf"
	// CSRFHeader carries the token in a script's requests (uploads).
	CSRFHeader = "X-CSRF-Token"
	// MaxFormBody bounds the body of a form CheckForm parses.
	MaxFormBody = 64 << 10
)

// SafeMethod reports whether a method changes nothing.
func SafeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// SameOrigin reports whether the browser says the request comes from a
// page of this origin (or says nothing, as non-browser clients do).
func SameOrigin(r *http.Request) bool {
	return http.NewCrossOriginProtection().Check(r) == nil
}

// ValidToken reports, in constant time, whether got is want, and want is
// not empty.
func ValidToken(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// CheckForm parses a POST's form (bounded) and checks its origin and its
// token against want; false when either fails.
func CheckForm(w http.ResponseWriter, r *http.Request, want string) bool {
	if !SameOrigin(r) {
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxFormBody)
	if err := r.ParseForm(); err != nil {
		return false
	}
	return ValidToken(r.PostForm.Get(CSRFField), want)
}

// LoginToken returns the login form's token, setting its cookie when the
// browser has none yet.
func (t *Sessions) LoginToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(t.cookie.Name + "-login"); err == nil && len(c.Value) == 43 {
		return c.Value
	}
	v := RandomToken(32)
	t.cookie.set(w, t.cookie.Name+"-login", v, 0)
	return v
}

// CheckLogin checks a login form's origin and token (the login cookie's
// value) and parses it; false when either fails. On success the token is
// returned to show the form again.
func (t *Sessions) CheckLogin(w http.ResponseWriter, r *http.Request) (token string, ok bool) {
	c, err := r.Cookie(t.cookie.Name + "-login")
	if err != nil || !CheckForm(w, r, c.Value) {
		return "", false
	}
	return c.Value, true
}
