// Package letter writes credential letters: the organisation's policy
// sends clients and correspondents their user and password "en una
// carta". It decides what a user's role gets (which addresses, which
// fingerprints) and renders the one-page PDF; the PDF library stays
// behind this package.
package letter

import (
	"errors"
	"time"

	"github.com/oaq/custodia/store"
)

// Endpoints are the ways into a server, as its clients reach them. Empty
// addresses are off (or left out, e.g. FTP without TLS).
type Endpoints struct {
	SFTP               string // host:port
	FTPS               string // host:port of explicit FTPS
	WebDAV             string // https URL of the share
	HostKeyFingerprint string // SSH host key, "SHA256:…"
	TLSFingerprint     string // certificate SHA-256 as colon hex (gateway.Fingerprint)
}

// Letter is what a credential letter tells one user. Empty addresses and
// fingerprints are left out.
type Letter struct {
	Organization string    // the heading, e.g. "Agencia Aduanal Querétaro"
	Username     string    // required
	Password     string    // required; printable ASCII without spaces, to be typed off paper
	Role         string    // store role name: client, correspondent, staff, manager, publisher, admin
	Date         time.Time // the letter's date; zero: now
	Endpoints
}

// For fills the letter of user u, without its password: the endpoints
// that u's role uses (the mapped drive is for department roles and
// admins only).
func For(u *store.User, organization string, e Endpoints) (Letter, error) {
	if !u.Role.HasDepartment() && u.Role != store.RoleAdmin {
		e.WebDAV = ""
	}
	if e.SFTP == "" {
		e.HostKeyFingerprint = ""
	}
	if e.FTPS == "" && e.WebDAV == "" {
		e.TLSFingerprint = ""
	}
	if e.SFTP == "" && e.FTPS == "" && e.WebDAV == "" {
		return Letter{}, errors.New("the letter would name no way in: sftp.listen and ftp.listen are off (or ftp.tls is)")
	}
	return Letter{Organization: organization, Username: u.Name, Role: string(u.Role), Date: time.Now(), Endpoints: e}, nil
}
