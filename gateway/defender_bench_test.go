package gateway

import (
	"context"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/oaq/custodia/store"
)

// BenchmarkSharedBanned is the defender's check of every connection
// before its login, over a SQLite store holding 10,000 bans: one lookup
// by primary key.
func BenchmarkSharedBanned(b *testing.B) {
	st, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "custodia.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	d := NewDefender(DefenderOptions{MaxFailures: 1, Window: time.Minute, BanTime: time.Hour, Store: st})
	for i := range 10_000 {
		d.Fail(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}))
	}
	banned, free := netip.MustParseAddr("10.0.0.7"), netip.MustParseAddr("192.0.2.1")
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 && !d.Banned(banned) || i%2 == 1 && d.Banned(free) {
			b.Fatal("wrong answer")
		}
	}
}
