package gateway

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// recordReader reads as a TLS stream does: at most one 16 KiB record a
// Read, then err.
type recordReader struct {
	r   io.Reader
	err error
}

func (r *recordReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p[:min(len(p), 16<<10)])
	if err == io.EOF {
		return n, r.err
	}
	return n, err
}

type countingWriter struct {
	bytes.Buffer
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(p)
}

// TestCopyInGathersRecords: CopyIn writes what arrives 16 KiB at a time
// in writes of 256 KiB, all of it, and ends as io.Copy does: clean at
// io.EOF, with the error otherwise (io.ErrUnexpectedEOF included), after
// writing what it read.
func TestCopyInGathersRecords(t *testing.T) {
	t.Parallel()
	data := bytes.Repeat([]byte("0123456789abcdef"), (1<<20+5000)/16)
	for _, end := range []error{io.EOF, io.ErrUnexpectedEOF, errors.New("reset")} {
		var w countingWriter
		n, err := CopyIn(&w, &recordReader{r: bytes.NewReader(data), err: end})
		if want := error(nil); end != io.EOF {
			want = end
			if err != want {
				t.Errorf("ending with %v: CopyIn returned %v", end, err)
			}
		} else if err != nil {
			t.Errorf("CopyIn: %v", err)
		}
		if n != int64(len(data)) || !bytes.Equal(w.Bytes(), data) {
			t.Errorf("ending with %v: copied %d bytes of %d", end, n, len(data))
		}
		if want := (len(data) + uploadChunk - 1) / uploadChunk; w.writes != want {
			t.Errorf("ending with %v: %d writes, want %d", end, w.writes, want)
		}
	}
	if _, err := CopyIn(shortWriter{}, bytes.NewReader(data)); err != io.ErrShortWrite {
		t.Errorf("a short write: %v", err)
	}
}

type shortWriter struct{}

func (shortWriter) Write(p []byte) (int, error) { return len(p) / 2, nil }
