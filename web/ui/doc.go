// Package ui is what the server-rendered front ends share: the portal
// (package web) and the admin console (package admin) each bring their
// own routes, templates, layout, assets and message catalogue, and build
// them on one copy of the listener-independent pieces:
//
//   - the session table and its cookie (sessions.go): random cookie,
//     kept by its sha256, bound to the address it logged in from, idle
//     and absolute timeouts, listed in the gateway's session registry;
//   - the CSRF checks (csrf.go): a token per session (or, before login,
//     a double-submit cookie) compared in constant time, and the
//     browser's own Sec-Fetch-Site / Origin;
//   - the security headers and the one Content-Security-Policy
//     (headers.go);
//   - the page renderer over a front end's embedded templates
//     (pages.go) and a file server for its embedded assets;
//   - languages and catalogues (lang.go): Spanish first, English when
//     the browser prefers it.
package ui
