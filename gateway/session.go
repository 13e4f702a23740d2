package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/netip"
)

// NewSessionID returns a random session id for logs and audit rows.
func NewSessionID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// AddrOf returns the IP address of a connection's remote or local
// address, unmapped; the zero Addr when there is none.
func AddrOf(a net.Addr) netip.Addr {
	if a == nil {
		return netip.Addr{}
	}
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}
