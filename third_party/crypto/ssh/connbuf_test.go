// Copyright 2026 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package ssh

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"testing"
	"testing/iotest"
)

// TestConnReader reads a stream in reads of every size through
// connReader over readers that return it in pieces, and checks that it
// comes out whole, that the error after it comes out, and that no buffer
// is held once everything buffered has been read.
func TestConnReader(t *testing.T) {
	data := make([]byte, 100000)
	rand.New(rand.NewSource(1)).Read(data)
	fail := errors.New("link down")
	sources := map[string]func() io.Reader{
		"whole":    func() io.Reader { return bytes.NewReader(data) },
		"one byte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(data)) },
		"half":     func() io.Reader { return iotest.HalfReader(bytes.NewReader(data)) },
		"data+err": func() io.Reader { return iotest.DataErrReader(bytes.NewReader(data)) },
		"error": func() io.Reader {
			return io.MultiReader(bytes.NewReader(data), iotest.ErrReader(fail))
		},
	}
	for name, src := range sources {
		rng := rand.New(rand.NewSource(2))
		r := &connReader{rd: src()}
		var got []byte
		var err error
		for err == nil {
			p := make([]byte, []int{4, 16, 17, 100, connBufSize - 1, connBufSize, 40000}[rng.Intn(7)])
			var n int
			n, err = io.ReadFull(r, p)
			got = append(got, p[:n]...)
			if r.r == r.w && r.buf != nil {
				t.Fatalf("%s: nothing buffered, yet the reader holds a buffer", name)
			}
		}
		if !bytes.Equal(got, data) {
			t.Errorf("%s: read %d bytes, not the %d written", name, len(got), len(data))
		}
		want := io.EOF
		if name == "error" {
			want = fail
		}
		if !errors.Is(err, want) && !(err == io.ErrUnexpectedEOF && want == io.EOF) {
			t.Errorf("%s: ended with %v, want %v", name, err, want)
		}
	}
}

// TestConnWriter writes in pieces of every size, flushing now and then,
// and checks that the stream arrives whole and that a flushed writer
// holds no buffer.
func TestConnWriter(t *testing.T) {
	data := make([]byte, 100000)
	rand.New(rand.NewSource(1)).Read(data)
	rng := rand.New(rand.NewSource(2))
	var out bytes.Buffer
	w := &connWriter{wr: &out}
	for rest := data; len(rest) > 0; {
		n := min(len(rest), []int{4, 100, connBufSize - 1, connBufSize, 40000}[rng.Intn(5)])
		if m, err := w.Write(rest[:n]); m != n || err != nil {
			t.Fatalf("Write of %d bytes: %d, %v", n, m, err)
		}
		rest = rest[n:]
		if rng.Intn(3) == 0 {
			if err := w.Flush(); err != nil || w.buf != nil {
				t.Fatalf("Flush: %v, buffer held %v", err, w.buf != nil)
			}
		}
	}
	w.Flush()
	if !bytes.Equal(out.Bytes(), data) {
		t.Errorf("wrote %d bytes, %d arrived intact", len(data), out.Len())
	}
	w = &connWriter{wr: shortWriter{}}
	w.Write(data[:100])
	if err := w.Flush(); err == nil {
		t.Error("a short write was not an error")
	}
	if _, err := w.Write(data[:10]); err == nil {
		t.Error("a write after a failed one succeeded")
	}
}

// shortWriter writes half of every write, without an error.
type shortWriter struct{}

func (shortWriter) Write(p []byte) (int, error) { return len(p) / 2, nil }
