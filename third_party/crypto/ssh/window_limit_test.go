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
