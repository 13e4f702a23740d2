package admin

import (
	"net/http"
	"net/url"
	"strconv"
)

// A verification (an age identity) and an approval (a manager's password)
// answer their POST with a redirect (303) to the page, naming only the
// outcome, so that a reload shows the page again instead of sending the
// identity or the password, and re-running the check, once more. A
// rejection, which shares the approval's outcomes, answers the same way.

// backupOutcomes are the catalogue keys a redirect may name, each with
// whether it reports a failure; a link naming any other key shows none.
var backupOutcomes = map[string]bool{
	"backups.verified": false, "backups.no_backup": true, "backups.wrong_identity": true, "backups.not_verified": true,
	"backups.verify_which": true, "backups.bad_identity": true, "backups.verify_busy": true,
	"backups.approved": false, "backups.rejected": false, "backups.manager_required": true, "backups.refused": true,
	"backups.no_request": true, "backups.not_waiting": true, "backups.invalid": true, "login.busy": true,
}

// backupOutcomeAbout bounds what an outcome is about: a backup or request
// id (letters, digits, '-', '_', '.', ':'); anything else is dropped.
func backupOutcomeAbout(s string) string {
	if len(s) > 128 {
		return ""
	}
	for _, c := range s {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return ""
		}
	}
	return s
}

// seeBackupOutcome sends the browser to the page, which reports key about
// id, with a verification's figures when v is not nil.
func seeBackupOutcome(w http.ResponseWriter, r *http.Request, key, about string, v *Verified) {
	q := url.Values{"outcome": {key}}
	if about = backupOutcomeAbout(about); about != "" {
		q.Set("about", about)
	}
	if v != nil {
		q.Set("files", strconv.FormatInt(v.Files, 10))
		q.Set("bytes", strconv.FormatInt(v.Bytes, 10))
		q.Set("deleted", strconv.Itoa(v.Deleted))
	}
	http.Redirect(w, r, "/admin/backups?"+q.Encode(), http.StatusSeeOther)
}

// backupOutcome reads the outcome a redirect names into p.
func backupOutcome(query url.Values, p *backupsPage) {
	key := query.Get("outcome")
	alert, ok := backupOutcomes[key]
	if !ok {
		return
	}
	p.Message, p.Alert, p.About = key, alert, backupOutcomeAbout(query.Get("about"))
	if key != "backups.verified" {
		return
	}
	files, err1 := strconv.ParseInt(query.Get("files"), 10, 64)
	bytes, err2 := strconv.ParseInt(query.Get("bytes"), 10, 64)
	deleted, err3 := strconv.Atoi(query.Get("deleted"))
	if err1 == nil && err2 == nil && err3 == nil && files >= 0 && bytes >= 0 && deleted >= 0 {
		p.Verified = &Verified{Files: files, Bytes: bytes, Deleted: deleted}
		p.VerifiedBytes = backupBytes(bytes)
	}
}
