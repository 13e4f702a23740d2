package backup

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"time"

	"filippo.io/age"
	"github.com/klauspost/compress/zstd"

	"github.com/oaq/custodia/store"
)

// An archive is a tar stream, compressed with zstd and encrypted with age:
// the files first, then the manifest. Its own sha256 (of the encrypted
// bytes) is kept in the store and beside it on every target.

// counter hashes and counts what passes to w.
type counter struct {
	w   io.Writer
	sum hash.Hash
	n   int64
}

func (c *counter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.sum.Write(p[:n])
	c.n += int64(n)
	return n, err
}

func (c *counter) digest() string { return hex.EncodeToString(c.sum.Sum(nil)) }

// archiveWriter writes one archive.
type archiveWriter struct {
	out *counter
	enc io.WriteCloser
	zw  *zstd.Encoder
	tw  *tar.Writer
	m   Manifest
	buf []byte
}

func newArchiveWriter(w io.Writer, recipients []age.Recipient, m Manifest) (*archiveWriter, error) {
	if len(recipients) == 0 {
		return nil, errNoRecipients
	}
	a := &archiveWriter{out: &counter{w: w, sum: sha256.New()}, m: m, buf: make([]byte, 256<<10)}
	var err error
	if a.enc, err = age.Encrypt(a.out, recipients...); err != nil {
		return nil, fmt.Errorf("backup: encrypt: %w", err)
	}
	// Blocks compressed in parallel, over a 2 MiB window: about 30% faster
	// on two cores than the default stream, at under 400 MB of memory
	// (BenchmarkBackupFull).
	if a.zw, err = zstd.NewWriter(a.enc, zstd.WithEncoderLevel(zstd.SpeedDefault),
		zstd.WithConcurrentBlocks(true), zstd.WithWindowSize(2<<20)); err != nil {
		return nil, fmt.Errorf("backup: compress: %w", err)
	}
	a.tw = tar.NewWriter(a.zw)
	if err := a.addJSON(deletedName, m.Deleted); err != nil {
		a.abort()
		return nil, err
	}
	return a, nil
}

// errNoRecipients: nobody could ever decrypt such an archive.
var errNoRecipients = fmt.Errorf("%w: no recipients: run custodia backup keygen, keep the identity away "+
	"from this machine, and put its public key in backup.recipients (CUSTODIA_BACKUP_RECIPIENTS)", store.ErrBackupsOff)

// addDir records a folder.
func (a *archiveWriter) addDir(storagePath string, mtime time.Time) error {
	err := a.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: tarName(storagePath) + "/", Mode: 0o700,
		ModTime: mtime, Format: tar.FormatPAX})
	if err != nil {
		return fmt.Errorf("backup: %s: %w", storagePath, err)
	}
	a.m.Entries = append(a.m.Entries, Entry{Path: storagePath, Dir: true, MTime: mtime.UTC()})
	return nil
}

// addFile copies exactly size bytes of r, hashing them.
func (a *archiveWriter) addFile(storagePath string, r io.Reader, size int64, mtime time.Time) error {
	err := a.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: tarName(storagePath), Mode: 0o600,
		Size: size, ModTime: mtime, Format: tar.FormatPAX})
	if err != nil {
		return fmt.Errorf("backup: %s: %w", storagePath, err)
	}
	h := sha256.New()
	n, err := io.CopyBuffer(a.tw, io.TeeReader(io.LimitReader(r, size), h), a.buf)
	if err != nil {
		return fmt.Errorf("backup: %s: %w", storagePath, err)
	}
	if n != size {
		return fmt.Errorf("backup: %s: the file shrank from %d to %d bytes while it was read "+
			"(changed on disk outside the gateway?)", storagePath, size, n)
	}
	a.m.Entries = append(a.m.Entries, Entry{Path: storagePath, Size: size, SHA256: hex.EncodeToString(h.Sum(nil)),
		MTime: mtime.UTC()})
	return nil
}

// close writes the manifest and finishes every layer; the archive is
// complete only when it returns nil.
func (a *archiveWriter) close() (Manifest, error) {
	err := a.addJSON(manifestName, a.m)
	for _, c := range []io.Closer{a.tw, a.zw, a.enc} {
		if cerr := c.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return a.m, fmt.Errorf("backup: finish archive: %w", err)
	}
	return a.m, nil
}

func (a *archiveWriter) addJSON(name string, v any) error {
	body, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	err = a.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o600,
		Size: int64(len(body)), ModTime: a.m.Created, Format: tar.FormatPAX})
	if err == nil {
		_, err = a.tw.Write(body)
	}
	if err != nil {
		return fmt.Errorf("backup: write %s: %w", name, err)
	}
	return nil
}

// abort releases the compressor of an archive that will not be finished.
func (a *archiveWriter) abort() { a.zw.Close() }

// visitor receives an archive's content as it is read; nil fields skip.
type visitor struct {
	deleted func(paths []string) error          // first
	entry   func(e Entry, body io.Reader) error // each file or folder; body is nil for folders
}

// readArchive decrypts and reads an archive, passing its content to v,
// and checks every entry against the manifest: same set of paths, sizes
// and sha256 digests, and the same deletions. It returns the manifest;
// any mismatch is an error.
// It stops, with ctx's error, when ctx ends.
func readArchive(ctx context.Context, r io.Reader, ids []age.Identity, v visitor) (Manifest, error) {
	dr, err := age.Decrypt(ctxReader{ctx, r}, ids...)
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: decrypt: %w", err)
	}
	zr, err := zstd.NewReader(dr)
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: decompress: %w", err)
	}
	defer zr.Close()
	a := &archiveReader{tr: tar.NewReader(zr), v: v, seen: map[string]Entry{}, buf: make([]byte, 256<<10)}
	for {
		hdr, err := a.tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return a.m, fmt.Errorf("backup: read archive: %w", err)
		}
		if err := a.next(hdr); err != nil {
			return a.m, err
		}
	}
	return a.m, a.check()
}

// ctxReader reads r until ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// archiveReader is what readArchive knows of an archive as it reads it.
type archiveReader struct {
	tr          *tar.Reader
	v           visitor
	buf         []byte
	m           Manifest
	gotManifest bool
	deleted     []string         // nil until the deletions were read
	seen        map[string]Entry // the files and folders read so far
}

// next reads the entry of hdr: the deletions (first), the manifest
// (last), or a file or folder.
func (a *archiveReader) next(hdr *tar.Header) error {
	if a.gotManifest {
		return fmt.Errorf("backup: entry %q after the manifest", hdr.Name)
	}
	switch hdr.Name {
	case deletedName:
		return a.readDeleted()
	case manifestName:
		if err := json.NewDecoder(io.LimitReader(a.tr, 1<<30)).Decode(&a.m); err != nil {
			return fmt.Errorf("backup: manifest: %w", err)
		}
		a.gotManifest = true
		return nil
	}
	return a.readEntry(hdr)
}

// readDeleted reads the list of deleted paths, which must come first,
// and passes it to the visitor.
func (a *archiveReader) readDeleted() error {
	if a.deleted != nil || len(a.seen) > 0 {
		return fmt.Errorf("backup: %s is not the first entry", deletedName)
	}
	if err := json.NewDecoder(io.LimitReader(a.tr, 1<<30)).Decode(&a.deleted); err != nil {
		return fmt.Errorf("backup: %s: %w", deletedName, err)
	}
	if a.deleted == nil {
		a.deleted = []string{}
	}
	for _, p := range a.deleted {
		if err := checkStoragePath(p); err != nil {
			return err
		}
	}
	if a.v.deleted != nil {
		return a.v.deleted(a.deleted)
	}
	return nil
}

// readEntry passes a file or folder to the visitor, hashing a file's
// data whether or not the visitor reads it.
func (a *archiveReader) readEntry(hdr *tar.Header) error {
	fn := a.v.entry
	e := Entry{Path: "/" + trimSlash(hdr.Name), MTime: hdr.ModTime.UTC()}
	if err := checkStoragePath(e.Path); err != nil {
		return err
	}
	if _, dup := a.seen[e.Path]; dup {
		return fmt.Errorf("backup: %s appears twice", e.Path)
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		e.Dir = true
		if fn != nil {
			if err := fn(e, nil); err != nil {
				return err
			}
		}
	case tar.TypeReg:
		h := sha256.New()
		var body io.Reader = io.TeeReader(a.tr, h)
		var err error
		if fn != nil {
			err = fn(e, body)
		}
		if err == nil {
			_, err = io.CopyBuffer(io.Discard, body, a.buf) // what fn did not read
		}
		if err != nil {
			return err
		}
		e.Size, e.SHA256 = hdr.Size, hex.EncodeToString(h.Sum(nil))
	default:
		return fmt.Errorf("backup: %s: unexpected entry type %q", e.Path, hdr.Typeflag)
	}
	a.seen[e.Path] = e
	return nil
}

// check compares what was read with the manifest, once the archive ended.
func (a *archiveReader) check() error {
	if !a.gotManifest {
		return errors.New("backup: the archive has no manifest: it is incomplete")
	}
	if a.deleted == nil {
		return fmt.Errorf("backup: the archive has no %s", deletedName)
	}
	if !slices.Equal(a.deleted, a.m.Deleted) && !(len(a.deleted) == 0 && len(a.m.Deleted) == 0) {
		return errors.New("backup: the deletions differ from the manifest's")
	}
	return checkAgainst(a.m, a.seen)
}

func checkAgainst(m Manifest, seen map[string]Entry) error {
	if len(m.Entries) != len(seen) {
		return fmt.Errorf("backup: the manifest lists %d entries, the archive holds %d", len(m.Entries), len(seen))
	}
	for _, want := range m.Entries {
		got, ok := seen[want.Path]
		switch {
		case !ok:
			return fmt.Errorf("backup: %s is in the manifest but not in the archive", want.Path)
		case got.Dir != want.Dir || got.Size != want.Size || got.SHA256 != want.SHA256:
			return fmt.Errorf("backup: %s: archive holds %d bytes sha256 %s, manifest says %d bytes sha256 %s",
				want.Path, got.Size, got.SHA256, want.Size, want.SHA256)
		}
	}
	return nil
}

func trimSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}
