package web

import (
	"embed"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/oaq/custodia/web/ui"
)

//go:embed assets templates
var embedded embed.FS

// Assets serves the embedded style sheet and scripts under /assets/: the
// only sources the Content-Security-Policy allows. tus.min.js is
// tus-js-client 4.3.1's dist/tus.min.js from npm, unchanged (MIT:
// tus-js-client.LICENSE; sha256 8cbb1b63fccc3bba0ae73ad1deb160ce046c3750851d0c3e94921ae3ef070eb8);
// upload.js is the upload page's own.
func Assets() http.Handler {
	sub, _ := fs.Sub(embedded, "assets") // a directory embedded above: no error
	return ui.Assets("/assets/", sub)
}

// pageNames are the portal's pages: templates/NAME.html each.
var pageNames = []string{"login", "folder", "message", "approvals", "rename", "delete", "upload", "receipt"}

func newPages(log *slog.Logger) (*ui.Pages, error) {
	return ui.NewPages(log, embedded, "templates", pageNames...)
}

// view is what every page's template gets.
type view struct {
	L     ui.Text
	Title string
	User  string // "" before login
	CSRF  string // the token the page's forms carry
	Body  any    // the page's own data

	Approver bool // shows the link to the approvals page (a manager's)
}
