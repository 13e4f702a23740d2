// Package letter writes the documents custodia hands to people, as PDFs
// in Spanish: credential letters (the organisation's policy sends clients
// and correspondents their user and password "en una carta"; it decides
// what a user's role gets, which addresses, which fingerprints, and
// renders the one-page letter) and upload receipts (acuses de recibo:
// the files a user's uploads delivered, from the audit trail, with a
// digest that binds the list). The PDF library stays behind this package.
package letter

import (
	"errors"
	"fmt"
	"time"

	"github.com/oaq/custodia/store"
)

// Endpoints are the ways into a server, as its clients reach them. Empty
// addresses are off (or left out, e.g. FTP without TLS).
type Endpoints struct {
	SFTP               string // host:port
	FTPS               string // host:port of explicit FTPS
	WebDAV             string // https URL of the share
	Portal             string // https URL of the web portal
	HostKeyFingerprint string // SSH host key, "SHA256:…"
	TLSFingerprint     string // certificate SHA-256 as colon hex (gateway.Fingerprint)
}

// Letter is what a credential letter tells one user: a password, or for
// an account that logs in with its SSH keys only, those keys' fingerprints
// (a key letter, see WithKeys). Empty addresses and fingerprints are left
// out.
type Letter struct {
	Organization string    // the heading, e.g. "Agencia Aduanal Querétaro"
	Username     string    // required
	Password     string    // printable ASCII without spaces, to be typed off paper; empty in a key letter
	Keys         []string  // a key letter's: fingerprints of the SSH keys the user logs in with
	Role         string    // store role name: client, correspondent, staff, manager, publisher, admin
	Date         time.Time // the letter's date; zero: now
	Endpoints
}

// For fills the letter of user u, without its password: the endpoints
// that u's role uses (the mapped drive is for department roles and
// admins only; the web portal for clients, correspondents, staff and
// managers).
func For(u *store.User, organization string, e Endpoints) (Letter, error) {
	if !u.Role.HasDepartment() && u.Role != store.RoleAdmin {
		e.WebDAV = ""
	}
	if !UsesPortal(string(u.Role)) {
		e.Portal = ""
	}
	if e.SFTP == "" {
		e.HostKeyFingerprint = ""
	}
	if e.FTPS == "" && e.WebDAV == "" && e.Portal == "" {
		e.TLSFingerprint = ""
	}
	if e.SFTP == "" && e.FTPS == "" && e.WebDAV == "" && e.Portal == "" {
		return Letter{}, errors.New("the letter would name no way in: sftp.listen and ftp.listen are off (or ftp.tls is)")
	}
	return Letter{Organization: organization, Username: u.Name, Role: string(u.Role), Date: time.Now(), Endpoints: e}, nil
}

// ErrHost is the error of a letter that would name a host its reader
// cannot resolve or reach: not a host name, a short host name, a
// loopback address.
var ErrHost = errors.New("the letter would name a host clients cannot resolve or reach")

// WantsPassword reports whether u's letter sets and carries a new
// password: as asked, if asked is not nil; otherwise unless u logs in
// with its nkeys SSH keys only (no password).
func WantsPassword(u *store.User, nkeys int, asked *bool) bool {
	if asked != nil {
		return *asked
	}
	return u.PasswordHash != "" || nkeys == 0
}

// WithKeys makes l a key letter: no password, the fingerprints of the
// user's SSH keys, and SFTP alone, the one way in that takes a key.
func (l Letter) WithKeys(keys []store.Key) (Letter, error) {
	if len(keys) == 0 {
		return l, fmt.Errorf("%s has no SSH key: a letter without a password would name no way in", l.Username)
	}
	if l.SFTP == "" {
		return l, fmt.Errorf("%s would log in with an SSH key, which only SFTP takes, and sftp.listen is off: write a letter with a password", l.Username)
	}
	l.Password, l.Keys = "", make([]string, len(keys))
	for i, k := range keys {
		l.Keys[i] = k.Fingerprint
	}
	l.FTPS, l.WebDAV, l.Portal, l.TLSFingerprint = "", "", "", ""
	return l, nil
}

// UsesPortal reports whether a role works in the web portal: clients,
// correspondents, staff and managers (the publisher is a service account,
// admins have the console).
func UsesPortal(role string) bool {
	switch store.Role(role) {
	case store.RoleClient, store.RoleCorrespondent, store.RoleStaff, store.RoleManager:
		return true
	}
	return false
}
