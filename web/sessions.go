package web

import "github.com/oaq/custodia/web/ui"

// CookieName is the portal's session cookie: __Host- makes browsers refuse
// it unless it is Secure, for Path=/ and without a Domain. The session
// table behind it is ui.Sessions.
const CookieName = "__Host-custodia"

// portalCookie is the portal's cookie: always over HTTPS, for the whole
// origin (its login form's token cookie is __Host-custodia-login).
var portalCookie = ui.Cookie{Name: CookieName, Path: "/", Secure: true}
