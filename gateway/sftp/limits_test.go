package sftp_test

import (
	"encoding/binary"
	"io"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// TestLimitsExtension speaks SFTP by hand over a real session: the server
// advertises limits@openssh.com and answers it with 255 KiB reads and
// writes, so OpenSSH's sftp client sends requests of that size instead of
// 32 KiB ones (an eighth of the packets, syscalls and replies).
func TestLimitsExtension(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.AddUser(store.NewUser{Name: "lim", Role: store.RoleAdmin})
	conn, err := tg.Dial("lim", testkit.Password)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	s, err := conn.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	w, _ := s.StdinPipe()
	r, _ := s.StdoutPipe()
	if err := s.RequestSubsystem("sftp"); err != nil {
		t.Fatal(err)
	}
	send := func(body ...[]byte) {
		var b []byte
		for _, p := range body {
			b = append(b, p...)
		}
		if _, err := w.Write(binary.BigEndian.AppendUint32(nil, uint32(len(b)))); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	recv := func() []byte {
		var l [4]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, binary.BigEndian.Uint32(l[:]))
		if _, err := io.ReadFull(r, b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	str := func(s string) []byte { return append(binary.BigEndian.AppendUint32(nil, uint32(len(s))), s...) }

	send([]byte{1}, binary.BigEndian.AppendUint32(nil, 3)) // SSH_FXP_INIT, version 3
	v := recv()
	if v[0] != 2 {
		t.Fatalf("answer to INIT is type %d, not VERSION", v[0])
	}
	found := false
	for e := v[5:]; len(e) >= 4; {
		n := binary.BigEndian.Uint32(e)
		name := string(e[4 : 4+n])
		e = e[4+n:]
		e = e[4+binary.BigEndian.Uint32(e):]
		found = found || name == "limits@openssh.com"
	}
	if !found {
		t.Error("the server does not advertise limits@openssh.com")
	}

	send([]byte{200}, binary.BigEndian.AppendUint32(nil, 7), str("limits@openssh.com")) // SSH_FXP_EXTENDED
	rep := recv()
	if rep[0] != 201 || binary.BigEndian.Uint32(rep[1:]) != 7 || len(rep) != 1+4+4*8 {
		t.Fatalf("limits@openssh.com answered with type %d, %d bytes, not an EXTENDED_REPLY of four limits", rep[0], len(rep))
	}
	limit := func(i int) uint64 { return binary.BigEndian.Uint64(rep[5+8*i:]) }
	if limit(0) != 256<<10 || limit(1) != 255<<10 || limit(2) != 255<<10 || limit(3) != 0 {
		t.Errorf("limits: packet %d, read %d, write %d, handles %d; want 256 KiB, 255 KiB, 255 KiB, no limit",
			limit(0), limit(1), limit(2), limit(3))
	}
}
