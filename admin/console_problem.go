package admin

import (
	"errors"
	"net/http"

	"github.com/oaq/custodia/web/ui"
)

// consoleProblem turns an *apiError of the API's own code into a page's
// status and message in the request's language: the text of
// "<section>.problem.<field>" (the field the API names; ".exists" for a
// conflict, ".missing" for something not found), then the API's own detail, which names the value at fault. ok is false for any other
// error (the server's, not the admin's).
func consoleProblem(l ui.Text, section string, err error) (status int, msg string, ok bool) {
	var ae *apiError
	if !errors.As(err, &ae) {
		return 0, "", false
	}
	status, key := ae.status, section+".problem."+ae.field
	switch ae.status {
	case http.StatusConflict:
		status, key = http.StatusUnprocessableEntity, section+".problem.exists" // the page is the same form again
	case http.StatusNotFound:
		key = section + ".problem.missing"
	}
	return status, l.T(key) + " (" + ae.detail + ")", true
}
