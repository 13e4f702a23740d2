package letter

import (
	"strings"
	"testing"

	"github.com/oaq/custodia/store"
)

func TestForGivesEachRoleItsWaysIn(t *testing.T) {
	t.Parallel()
	all := Endpoints{SFTP: "archivos.aaq.mx:2022", FTPS: "archivos.aaq.mx:2121", WebDAV: "https://archivos.aaq.mx:8443/",
		Portal: "https://archivos.aaq.mx:8444/", HostKeyFingerprint: "SHA256:x", TLSFingerprint: "AA:BB"}
	for _, c := range []struct {
		role           store.Role
		webdav, portal bool
	}{
		{store.RoleClient, false, true}, {store.RoleCorrespondent, false, true}, {store.RolePublisher, false, false},
		{store.RoleStaff, true, true}, {store.RoleManager, true, true}, {store.RoleAdmin, true, false},
	} {
		l, err := For(&store.User{Name: "u", Role: c.role}, "OAQ", all)
		if err != nil {
			t.Fatalf("%s: %v", c.role, err)
		}
		if got := l.WebDAV != ""; got != c.webdav {
			t.Errorf("a %s's letter names the mapped drive: %v, want %v", c.role, got, c.webdav)
		}
		if got := l.Portal != ""; got != c.portal {
			t.Errorf("a %s's letter names the web portal: %v, want %v", c.role, got, c.portal)
		}
		if l.SFTP != all.SFTP || l.FTPS != all.FTPS || l.Username != "u" || l.Role != string(c.role) || l.Organization != "OAQ" {
			t.Errorf("a %s's letter is %+v", c.role, l)
		}
	}
}

func TestForLeavesOutFingerprintsNobodyUses(t *testing.T) {
	t.Parallel()
	client := &store.User{Name: "carla", Role: store.RoleClient}
	l, err := For(client, "", Endpoints{SFTP: "h:22", HostKeyFingerprint: "SHA256:x", WebDAV: "https://h/", TLSFingerprint: "AA"})
	if err != nil {
		t.Fatal(err)
	}
	if l.TLSFingerprint != "" {
		t.Errorf("a client's letter without FTPS or a mapped drive names the TLS fingerprint %q", l.TLSFingerprint)
	}
	l, err = For(client, "", Endpoints{FTPS: "h:21", HostKeyFingerprint: "SHA256:x", TLSFingerprint: "AA"})
	if err != nil {
		t.Fatal(err)
	}
	if l.HostKeyFingerprint != "" {
		t.Errorf("a letter without SFTP names the host key %q", l.HostKeyFingerprint)
	}
}

func TestForRefusesALetterWithNoWayIn(t *testing.T) {
	t.Parallel()
	// A client does not use the mapped drive: with only WebDAV on, its
	// letter would name nothing it can use.
	_, err := For(&store.User{Name: "carla", Role: store.RoleClient}, "", Endpoints{WebDAV: "https://h/"})
	if err == nil {
		t.Error("a letter naming no way in was written")
	}
}

// A letter carries a password unless the account logs in with its keys
// only, or as asked.
func TestWantsPassword(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	withPassword := &store.User{Name: "ana", PasswordHash: "$argon2id$…"}
	keyOnly := &store.User{Name: "pub"}
	for _, c := range []struct {
		what  string
		u     *store.User
		nkeys int
		asked *bool
		want  bool
	}{
		{"a password account", withPassword, 0, nil, true},
		{"a password account with a key", withPassword, 1, nil, true},
		{"a key-only account", keyOnly, 2, nil, false},
		{"an account with neither", keyOnly, 0, nil, true},
		{"a key-only account asking for one", keyOnly, 1, &yes, true},
		{"a password account asking for none", withPassword, 1, &no, false},
	} {
		if got := WantsPassword(c.u, c.nkeys, c.asked); got != c.want {
			t.Errorf("%s: WantsPassword = %v, want %v", c.what, got, c.want)
		}
	}
}

// A key letter names SFTP only, and is refused without SFTP or keys.
func TestWithKeys(t *testing.T) {
	t.Parallel()
	all := Endpoints{SFTP: "h:2022", FTPS: "h:2121", WebDAV: "https://h/", HostKeyFingerprint: "SHA256:x", TLSFingerprint: "AA"}
	l, err := For(&store.User{Name: "pub", Role: store.RoleAdmin}, "OAQ", all)
	if err != nil {
		t.Fatal(err)
	}
	l.Password = "will-be-dropped"
	k, err := l.WithKeys([]store.Key{{Fingerprint: "SHA256:k"}})
	if err != nil {
		t.Fatal(err)
	}
	if k.Password != "" || k.FTPS != "" || k.WebDAV != "" || k.TLSFingerprint != "" || k.SFTP != all.SFTP ||
		k.HostKeyFingerprint != all.HostKeyFingerprint || len(k.Keys) != 1 || k.Keys[0] != "SHA256:k" {
		t.Errorf("the key letter is %+v, want SFTP and its host key only, with the key", k)
	}
	if _, err := l.WithKeys(nil); err == nil {
		t.Error("a key letter without keys was made")
	}
	noSFTP := l
	noSFTP.SFTP = ""
	if _, err := noSFTP.WithKeys([]store.Key{{Fingerprint: "SHA256:k"}}); err == nil || !strings.Contains(err.Error(), "sftp.listen") {
		t.Errorf("a key letter without SFTP: %v, want an error naming sftp.listen", err)
	}
}
