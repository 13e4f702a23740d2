package letter

import (
	"testing"

	"github.com/oaq/custodia/store"
)

func TestForGivesEachRoleItsWaysIn(t *testing.T) {
	t.Parallel()
	all := Endpoints{SFTP: "archivos.aaq.mx:2022", FTPS: "archivos.aaq.mx:2121", WebDAV: "https://archivos.aaq.mx:8443/",
		HostKeyFingerprint: "SHA256:x", TLSFingerprint: "AA:BB"}
	for _, c := range []struct {
		role   store.Role
		webdav bool
	}{
		{store.RoleClient, false}, {store.RoleCorrespondent, false}, {store.RolePublisher, false},
		{store.RoleStaff, true}, {store.RoleManager, true}, {store.RoleAdmin, true},
	} {
		l, err := For(&store.User{Name: "u", Role: c.role}, "OAQ", all)
		if err != nil {
			t.Fatalf("%s: %v", c.role, err)
		}
		if got := l.WebDAV != ""; got != c.webdav {
			t.Errorf("a %s's letter names the mapped drive: %v, want %v", c.role, got, c.webdav)
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
