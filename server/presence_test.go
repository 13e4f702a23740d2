package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/server"
	"github.com/oaq/custodia/store"
)

// TestStartLeavesALiveGatewaysUploadsAlone: the database holds an upload
// another live gateway is putting in place (its presence lease held) and
// one this gateway's previous run left. The start settles its own and
// leaves the other's pending; while it runs it holds its presence lease.
func TestStartLeavesALiveGatewaysUploadsAlone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tg, stop := testkit.Restartable(t, testkit.Env(t.TempDir()), true)
	tg.Fixture()
	stop()

	self, err := server.GatewayID(tg.Config)
	if err != nil {
		t.Fatal(err)
	}
	other := "elsewhere-0badc0de0bad"
	st, err := store.Open(ctx, tg.Config.DBFile())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.TryLease(ctx, store.PresenceLease(other), other, time.Hour); err != nil {
		t.Fatal(err)
	}
	for id, name := range map[string]string{self: "mia.pdf", other: "ajena.pdf"} {
		if _, err := st.ForGateway(id).BeginUpload(ctx, store.AuditEntry{User: "juan", Role: store.RoleCorrespondent,
			Protocol: "sftp", Action: "write", VPath: "/ACME/2026/" + name, SPath: "/dossiers/ACME/2026/" + name,
			Bytes: 1, SHA256: sha256Hex("x")}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	tg, _ = testkit.Restartable(t, tg.Environ, false)
	if got := outboxFor(t, tg.Store(), "/ACME/2026/mia.pdf"); got[store.EventUploadFailed] != 1 {
		t.Errorf("the upload this gateway's previous run left is not settled at start: outbox %v", got)
	}
	if got := outboxFor(t, tg.Store(), "/ACME/2026/ajena.pdf"); len(got) != 0 {
		t.Errorf("the start settled an upload a live gateway is putting in place: outbox %v", got)
	}
	p, err := tg.Store().ForGateway(other).PendingUploads(ctx)
	if err != nil || len(p) != 1 || p[0].Entry.VPath != "/ACME/2026/ajena.pdf" {
		t.Errorf("the other gateway's pending uploads after the start: %+v %v, want its one", p, err)
	}
	ls, err := tg.Store().Leases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range ls {
		found = found || l.Name == store.PresenceLease(self) && l.Holder == self && l.Expires.After(time.Now())
	}
	if !found {
		t.Errorf("the running gateway holds no presence lease named for %s: %+v", self, ls)
	}
}
