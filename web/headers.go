package web

// downloadPolicy is a downloaded file's Content-Security-Policy (it
// replaces ui.ContentSecurityPolicy on a download): were a browser to
// render the file anyway, it runs sandboxed (no script, no same origin).
const downloadPolicy = "sandbox"
