// Copyright 2026 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package ssh

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// TestWindowLimitEveryChannelProgresses runs channels that each send
// 1 MiB through a server whose WindowLimit allows no window beyond Min,
// beside a channel whose reader never reads (it fills its window and keeps
// it): every other channel's data arrives whole, no channel ever holds more
// than the usual window, and nothing stays counted once the channels close.
func TestWindowLimitEveryChannelProgresses(t *testing.T) {
	t.Parallel()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := NewSignerFromKey(key)
	if err != nil {
		t.Fatal(err)
	}
	limit := &WindowLimit{Limit: 0, Min: 64 << 10}
	sc := &ServerConfig{NoClientAuth: true, WindowLimit: limit}
	sc.AddHostKey(signer)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c2, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	c1, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()

	const channels, size = 8, 1 << 20
	got := make(chan string, channels+1)
	go func() {
		_, chans, reqs, err := NewServerConn(c1, sc)
		if err != nil {
			got <- err.Error()
			return
		}
		go DiscardRequests(reqs)
		for nc := range chans {
			ch, reqs, err := nc.Accept()
			if err != nil {
				continue
			}
			go DiscardRequests(reqs)
			if string(nc.ExtraData()) == "stalled" {
				continue // never read
			}
			go func() {
				b, err := io.ReadAll(ch)
				got <- fmt.Sprintf("%s %d %v", b[:min(len(b), 8)], len(b), err)
				ch.Close()
			}()
		}
	}()
	conn, chans, reqs, err := NewClientConn(c2, "", &ClientConfig{HostKeyCallback: InsecureIgnoreHostKey()})
	if err != nil {
		t.Fatal(err)
	}
	client := NewClient(conn, chans, reqs)
	defer client.Close()
	stalled, _, err := client.OpenChannel("session", []byte("stalled"))
	if err != nil {
		t.Fatal(err)
	}
	go stalled.Write(make([]byte, channelWindowSize)) // blocks once its window is full
	var wg sync.WaitGroup
	for i := range channels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ch, _, err := client.OpenChannel("session", nil)
			if err != nil {
				got <- err.Error()
				return
			}
			data := bytes.Repeat([]byte{byte('a' + i)}, size)
			if _, err := ch.Write(data); err != nil {
				got <- err.Error()
			}
			ch.CloseWrite()
		}()
	}
	want := map[string]bool{}
	for i := range channels {
		want[fmt.Sprintf("%s %d <nil>", bytes.Repeat([]byte{byte('a' + i)}, 8), size)] = true
	}
	for range channels {
		select {
		case s := <-got:
			if !want[s] {
				t.Fatalf("a channel read %q", s)
			}
			delete(want, s)
		case <-time.After(time.Minute):
			t.Fatalf("channels still waiting after a minute: %d", len(want))
		}
	}
	wg.Wait()
	client.Close()
	deadline := time.Now().Add(10 * time.Second)
	for limit.Extra() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := limit.Extra(); n != 0 {
		t.Errorf("%d bytes still counted in the limit once every channel closed", n)
	}
}

// simChannel follows one channel's window accounting as channel.go does.
type simChannel struct {
	l                      *WindowLimit
	window, held, consumed uint32
	share                  windowShare
}

func newSimChannel(l *WindowLimit) *simChannel {
	return &simChannel{l: l, window: l.min(), consumed: channelWindowSize - l.min()}
}

// transfer has the peer send n bytes (at most its window) and the reader
// read them, as adjustWindow sees it.
func (c *simChannel) transfer(n uint32) {
	n = min(n, c.window)
	c.window -= n
	c.held += n
	c.held -= n
	c.consumed += n
	grant := c.l.windowAdjust(c.window, c.held, c.consumed, &c.share)
	c.consumed -= grant
	c.window += grant
}

// A session that sends a little (an SFTP session's INIT and a few small
// requests, a mapped drive left open) takes nothing from the limit beyond
// Min; one that keeps its window busy grows to the usual window, within
// the limit; two busy ones share it.
func TestWindowLimitGrowsOnlyForBusyChannels(t *testing.T) {
	t.Parallel()
	l := &WindowLimit{Limit: 2 << 20, Min: 128 << 10}
	quiet := newSimChannel(l)
	for range 100 {
		quiet.transfer(200)
	}
	if n := l.Extra(); n != 0 {
		t.Fatalf("a channel that sent 100 small messages counts %d beyond Min", n)
	}
	busy := newSimChannel(l)
	for range 100 {
		busy.transfer(channelWindowSize)
	}
	if busy.window != channelWindowSize {
		t.Errorf("a busy channel's window grew to %d, want the usual %d", busy.window, channelWindowSize)
	}
	other := newSimChannel(l)
	for range 100 {
		other.transfer(channelWindowSize)
		busy.transfer(channelWindowSize)
	}
	if n := l.Extra(); n > l.Limit {
		t.Errorf("two busy channels count %d beyond Min, over the limit of %d", n, l.Limit)
	}
	if other.window < l.min() {
		t.Errorf("the second busy channel's window is %d, less than Min", other.window)
	}
}
