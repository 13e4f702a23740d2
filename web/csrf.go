package web

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
//     request whose Sec-Fetch-Site, or else Origin, names another site.
const (
	// CSRFField is the hidden form field that carries the token.
	CSRFField = "csrf"
	// CSRFHeader carries the token in a script's requests (uploads).
	CSRFHeader = "X-CSRF-Token"
	// loginCookie carries the login form's token before any session.
	loginCookie = "__Host-custodia-login"
	maxFormBody = 64 << 10
)

// safeMethod reports whether a method changes nothing.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// sameOrigin reports whether the browser says the request comes from a
// page of this origin (or says nothing, as non-browser clients do).
func sameOrigin(r *http.Request) bool {
	return http.NewCrossOriginProtection().Check(r) == nil
}

// validToken reports, in constant time, whether got is want, and want is
// not empty.
func validToken(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// checkForm parses a POST's form (bounded) and checks its origin and its
// token against want; false when either fails.
func checkForm(w http.ResponseWriter, r *http.Request, want string) bool {
	if !sameOrigin(r) {
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		return false
	}
	return validToken(r.PostForm.Get(CSRFField), want)
}

// loginToken returns the login form's token, setting its cookie when the
// browser has none yet.
func loginToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(loginCookie); err == nil && len(c.Value) == 43 {
		return c.Value
	}
	v := randomToken(32)
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: v, Path: "/", HttpOnly: true, Secure: true,
		SameSite: http.SameSiteStrictMode})
	return v
}
