// Copyright 2026 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package ssh

import "sync/atomic"

// A WindowLimit bounds the channel windows that a server grants, across
// every connection whose ServerConfig shares it. A channel's window and
// the data it holds received but not yet read count together: each
// channel may have Min of them, and all channels together at most Limit
// more, up to the usual 2 MiB each. A lone busy channel so keeps the usual
// window; many at once share Limit, and a channel over its share re-grants
// no window until its reader has read enough. A channel is always granted
// at least Min once its reader has read what it held, so every channel
// progresses. Extra window granted to a peer that then sends nothing stays
// counted until the channel closes (a peer cannot be asked to give window
// back): at most 2 MiB less Min per channel, and only for a channel whose
// peer kept its window busy (windowAdjust).
type WindowLimit struct {
	Limit int64  // window and unread data granted beyond Min, all channels together
	Min   uint32 // what each channel may always have; at least 64 KiB

	extra atomic.Int64
}

// Extra returns the window and unread data granted beyond Min, now.
func (l *WindowLimit) Extra() int64 { return l.extra.Load() }

// minWindow is the least WindowLimit.Min: two packets, so that a peer can
// send one while the reader reads the other.
const minWindow = 2 * channelMaxPacket

func (l *WindowLimit) min() uint32 { return min(max(l.Min, minWindow), channelWindowSize) }

// windowShare is a channel's part in a WindowLimit.
type windowShare struct {
	extra  int64  // window and unread data counted in the limit beyond Min
	target uint32 // the window the channel may grow to now; 0 before the first grant
}

// windowAdjust returns the window a channel should grant its peer now.
// window is the peer's window, held the data received and not yet read,
// consumed what was read and not yet granted again (the three add up to
// channelWindowSize), and share the channel's part in l, updated to what
// it counts once the grant is sent. windowMu is held.
//
// A channel's window grows from Min only as its peer keeps it busy: its
// target doubles each time the peer has used more than half of it, up to
// the usual 2 MiB, within what l has left. A session that sends little (a
// mapped drive left open, an interactive sftp) so never takes more than
// Min from the limit.
func (l *WindowLimit) windowAdjust(window, held, consumed uint32, share *windowShare) uint32 {
	if l == nil {
		// Upstream's rule: grant what was read once enough was.
		if channelWindowSize-window > 3*channelMaxPacket || window < channelWindowSize/2 {
			return consumed
		}
		return 0
	}
	keep := int64(l.min())
	if share.target == 0 {
		share.target = uint32(keep)
	}
	if window < share.target/2 && share.target < channelWindowSize {
		share.target = min(2*share.target, channelWindowSize)
	}
	committed := int64(window) + int64(held)
	limit := min(int64(share.target), keep+max(0, l.Limit-(l.extra.Load()-share.extra)))
	grant := min(int64(consumed), max(0, limit-committed))
	if grant < 3*channelMaxPacket && int64(window) >= keep/2 {
		grant = 0 // not worth a message yet, and the peer can still send
	}
	now := max(0, committed+grant-keep)
	l.extra.Add(now - share.extra)
	share.extra = now
	return uint32(grant)
}
