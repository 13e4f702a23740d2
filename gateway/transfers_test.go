package gateway

import (
	"net/netip"
	"testing"
)

// A session's transfers are listed from Begin to End with the bytes they
// moved, which count for the session too; they leave the list with the
// session.
func TestTransfersInFlight(t *testing.T) {
	t.Parallel()
	c, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	remote := netip.MustParseAddr("192.0.2.7")
	s := c.Register("s1", "ana", "sftp", remote, nil)
	up := s.Begin("/operaciones/a.bin", true)
	down := s.Begin("/operaciones/b.bin", false)
	up.Count(100)
	up.Count(50)
	down.Count(7)
	got := c.Transfers()
	if len(got) != 2 {
		t.Fatalf("Transfers lists %+v, want the upload and the download", got)
	}
	byPath := map[string]TransferInfo{}
	for _, tr := range got {
		byPath[tr.Path] = tr
	}
	if u := byPath["/operaciones/a.bin"]; !u.Upload || u.Bytes != 150 || u.User != "ana" || u.Protocol != "sftp" ||
		u.Session != "s1" || u.Remote != remote || u.Started.IsZero() {
		t.Errorf("the upload is listed as %+v, want ana's sftp upload of 150 bytes", u)
	}
	if d := byPath["/operaciones/b.bin"]; d.Upload || d.Bytes != 7 {
		t.Errorf("the download is listed as %+v, want a download of 7 bytes", d)
	}
	if si := c.Sessions()[0]; si.BytesIn != 150 || si.BytesOut != 7 {
		t.Errorf("the session counts %d in, %d out; want 150 in, 7 out", si.BytesIn, si.BytesOut)
	}
	up.End()
	if got := c.Transfers(); len(got) != 1 || got[0].Path != "/operaciones/b.bin" {
		t.Errorf("after the upload ended Transfers lists %+v, want the download only", got)
	}
	up.End() // twice: nothing changes
	s.End()
	if got := c.Transfers(); len(got) != 0 {
		t.Errorf("after the session ended Transfers lists %+v, want none", got)
	}
}
