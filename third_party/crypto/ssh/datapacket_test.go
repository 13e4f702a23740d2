// Copyright 2026 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package ssh

import "testing"

// TestSmallDataPacketsAreSized checks that a small channel data packet
// takes only its size while it waits to be read, and a large one a
// recycled buffer.
func TestSmallDataPacketsAreSized(t *testing.T) {
	for _, n := range []int{1, 40, smallDataPacket} {
		if p := newDataPacket(n); len(p) != n || cap(p) > 2*n+64 {
			t.Errorf("a data packet of %d bytes has %d bytes of room", n, cap(p))
		}
	}
	if p := newDataPacket(channelMaxPacket); cap(p) != dataPacketSize {
		t.Errorf("a full data packet has %d bytes of room, not a recycled buffer's %d", cap(p), dataPacketSize)
	}
}
