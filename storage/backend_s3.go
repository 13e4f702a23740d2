package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/oaq/custodia/authz"
)

// S3Options name an S3-compatible bucket for the files.
type S3Options struct {
	Endpoint  string // host:port of the S3 API
	Bucket    string // created at start when missing
	Prefix    string // keys are <Prefix>/clients/ACME/…; "" for the bucket's top
	Region    string // "" lets the client ask the server
	AccessKey string
	SecretKey string // never logged, never in an error
	// Insecure speaks plain HTTP; only to a loopback endpoint.
	Insecure bool
	// Gateway names this gateway among those sharing the bucket (the
	// same across its restarts): the objects its overwrites keep aside
	// live under <Prefix>/.incoming/<Gateway>/, and only those are
	// cleaned when it opens the bucket. "" keeps them under .incoming/.
	Gateway string
	// IgnoreTimes answers a client's change of a file's times with
	// success and stores nothing (an object's time is when it was put);
	// otherwise it is refused as unsupported.
	IgnoreTimes bool
}

// s3PartSize is the part of a multipart put: an upload larger than this
// is put in parts, read one after the other from the staged file.
const s3PartSize = 16 << 20

// ErrInsecureEndpoint refuses plain HTTP to an S3 endpoint off this host.
var ErrInsecureEndpoint = errors.New("storage: s3 insecure (plain http) is allowed only to a loopback endpoint (127.0.0.0/8, ::1, localhost)")

// LoopbackEndpoint reports whether host:port names this host.
func LoopbackEndpoint(endpoint string) bool {
	host, _, err := net.SplitHostPort(endpoint)
	if err != nil {
		host = endpoint
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// OpenFilesS3 opens the files tree with its files in an S3 bucket: dir
// still holds what is received (.incoming, .resumable) on local disk;
// each upload is put to the bucket when it is complete.
func OpenFilesS3(ctx context.Context, dir string, departments []string, o S3Options) (*Files, error) {
	if o.Endpoint == "" || o.Bucket == "" {
		return nil, errors.New("storage: s3 needs an endpoint and a bucket")
	}
	if o.Insecure && !LoopbackEndpoint(o.Endpoint) {
		return nil, ErrInsecureEndpoint
	}
	c, err := minio.New(o.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(o.AccessKey, o.SecretKey, ""),
		Secure: !o.Insecure, Region: o.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("storage: s3 endpoint %q: %w", o.Endpoint, err)
	}
	if strings.ContainsAny(o.Gateway, "/\\") || o.Gateway == "." || o.Gateway == ".." {
		return nil, fmt.Errorf("storage: s3 gateway name %q: no slashes", o.Gateway)
	}
	b := &s3Backend{c: c, bucket: o.Bucket, prefix: keyPrefix(o.Prefix), aside: keyPrefix(o.Prefix) + incomingDir + "/", ignoreTimes: o.IgnoreTimes}
	if o.Gateway != "" {
		b.aside += o.Gateway + "/"
	}
	ok, err := c.BucketExists(ctx, o.Bucket)
	if err != nil {
		return nil, fmt.Errorf("storage: s3 bucket %q at %s: %w", o.Bucket, o.Endpoint, err)
	}
	if !ok {
		if err := c.MakeBucket(ctx, o.Bucket, minio.MakeBucketOptions{Region: o.Region}); err != nil {
			// Another gateway on the same bucket may have made it meanwhile
			// (they start together): then it is there, and ours.
			if ok, _ := c.BucketExists(ctx, o.Bucket); !ok {
				return nil, fmt.Errorf("storage: s3 create bucket %q: %w", o.Bucket, err)
			}
		}
	}
	// Replaced objects kept aside by this gateway's overwrites that a
	// crash interrupted: the pending notes (Reconcile) say whether the
	// overwrite completed. Other gateways' are theirs: an overwrite of
	// theirs in flight puts its object back from there if it fails.
	if err := b.removeUnder(ctx, b.aside); err != nil {
		return nil, fmt.Errorf("storage: s3 clean %s: %w", incomingDir, err)
	}
	return openFiles(ctx, dir, departments, func(f *Files) backend { b.f = f; return b })
}

// keyPrefix is "" or the prefix with one trailing slash.
func keyPrefix(p string) string {
	p = strings.Trim(path.Clean("/"+p), "/")
	if p == "" {
		return ""
	}
	return p + "/"
}

// s3Backend keeps the files as objects: a file at storage path
// /clients/ACME/x.pdf is the key <prefix>clients/ACME/x.pdf; a folder is
// a "<key>/" marker object (made by mkdir, so an empty folder exists)
// or the prefix of keys below it. Names come only from clean storage
// paths: no key the view makes has "..", "." or empty segments.
type s3Backend struct {
	f           *Files
	c           *minio.Client
	bucket      string
	prefix      string
	aside       string // where this gateway's overwrites keep the objects they replace: <prefix>.incoming/[<gateway>/]
	ignoreTimes bool   // a client's times: success, not stored (errTimesIgnored)
}

var _ backend = (*s3Backend)(nil)

func (b *s3Backend) key(l loc) string { return b.prefix + strings.TrimPrefix(l.spath(), "/") }

// s3Err folds the object store's answers into io/fs errors.
func s3Err(err error) error {
	if err == nil {
		return nil
	}
	switch minio.ToErrorResponse(err).Code {
	case minio.NoSuchKey, "NotFound":
		return fmt.Errorf("s3: %w", fs.ErrNotExist)
	case "PreconditionFailed":
		return fmt.Errorf("s3: %w", fs.ErrExist)
	}
	return fmt.Errorf("s3: %w", err)
}

func (b *s3Backend) stat(ctx context.Context, l loc) (fs.FileInfo, error) {
	k := b.key(l)
	name := path.Base(l.spath())
	if k != b.prefix {
		oi, err := b.c.StatObject(ctx, b.bucket, k, minio.StatObjectOptions{})
		if err == nil {
			return s3Info{name: name, size: oi.Size, mod: oi.LastModified}, nil
		}
		if err = s3Err(err); !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	mod, ok, err := b.folder(ctx, k)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, &fs.PathError{Op: "stat", Path: l.spath(), Err: fs.ErrNotExist}
	}
	return s3Info{name: name, dir: true, mod: mod}, nil
}

// folder reports whether key k is a folder: the bucket's top, a marker,
// or the prefix of some key.
func (b *s3Backend) folder(ctx context.Context, k string) (time.Time, bool, error) {
	if k == b.prefix {
		return time.Time{}, true, nil
	}
	oi, err := b.c.StatObject(ctx, b.bucket, k+"/", minio.StatObjectOptions{})
	if err == nil {
		return oi.LastModified, true, nil
	}
	if err = s3Err(err); !errors.Is(err, fs.ErrNotExist) {
		return time.Time{}, false, err
	}
	keys, err := b.keysUnder(ctx, k+"/", 1)
	return time.Time{}, len(keys) > 0, err
}

// keysUnder lists up to max keys under prefix, stopping the listing there.
func (b *s3Backend) keysUnder(ctx context.Context, prefix string, max int) ([]string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var keys []string
	for oi := range b.c.ListObjects(ctx, b.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true, MaxKeys: max}) {
		if oi.Err != nil {
			return nil, s3Err(oi.Err)
		}
		if keys = append(keys, oi.Key); len(keys) >= max {
			break
		}
	}
	return keys, nil
}

// readDir lists one folder a page at a time (ListObjectsV2 with the
// delimiter "/"): the bucket is never listed whole.
func (b *s3Backend) readDir(ctx context.Context, l loc) ([]fs.FileInfo, error) {
	k := b.key(l)
	prefix := k
	if k != b.prefix {
		prefix = k + "/"
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	seen := map[string]bool{}
	var out []fs.FileInfo
	for oi := range b.c.ListObjects(ctx, b.bucket, minio.ListObjectsOptions{Prefix: prefix}) {
		if oi.Err != nil {
			return nil, s3Err(oi.Err)
		}
		name, dir := strings.CutSuffix(strings.TrimPrefix(oi.Key, prefix), "/")
		if name == "" || name == "." || name == ".." || strings.Contains(name, "/") || seen[name] {
			continue // the folder's own marker, or a key no path names
		}
		seen[name] = true
		out = append(out, s3Info{name: name, dir: dir, size: oi.Size, mod: oi.LastModified})
	}
	return out, nil
}

func (b *s3Backend) open(ctx context.Context, l loc) (blob, error) {
	return b.get(b.key(l))
}

func (b *s3Backend) mkdir(ctx context.Context, l loc) error {
	if _, err := b.stat(ctx, l); err == nil {
		return fs.ErrExist
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return b.marker(ctx, b.key(l)+"/")
}

// marker puts an empty folder marker, never over an existing object
// (with no body to sign: see put).
func (b *s3Backend) marker(ctx context.Context, k string) error {
	opts := minio.PutObjectOptions{ContentType: "application/x-directory", DisableContentSha256: true}
	opts.SetMatchETagExcept("*")
	_, err := b.c.PutObject(ctx, b.bucket, k, strings.NewReader(""), 0, opts)
	return s3Err(err)
}

func (b *s3Backend) remove(ctx context.Context, l loc) error {
	fi, err := b.stat(ctx, l)
	if err != nil {
		return err
	}
	k := b.key(l)
	if fi.IsDir() {
		k += "/"
		keys, err := b.keysUnder(ctx, k, 2)
		if err != nil {
			return err
		}
		for _, key := range keys {
			if key != k { // anything but the folder's own marker
				return ErrNotEmpty
			}
		}
	}
	return s3Err(b.c.RemoveObject(ctx, b.bucket, k, minio.RemoveObjectOptions{}))
}

// rename copies a file server-side and then removes the original. A
// folder cannot be renamed: S3 has no folders, only keys that share a
// prefix, and a rename would be a copy of each, never atomic.
func (b *s3Backend) rename(ctx context.Context, from, to loc, replace bool) error {
	fi, err := b.stat(ctx, from)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return ErrUnsupported
	}
	if !replace {
		if _, err := b.stat(ctx, to); err == nil {
			return fs.ErrExist
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if err := b.copy(ctx, b.key(from), b.key(to)); err != nil {
		return err
	}
	if err := b.c.RemoveObject(ctx, b.bucket, b.key(from), minio.RemoveObjectOptions{}); err != nil {
		// Not moved: take the copy back, so the file is at one name.
		b.c.RemoveObject(context.WithoutCancel(ctx), b.bucket, b.key(to), minio.RemoveObjectOptions{})
		return s3Err(err)
	}
	return nil
}

// copy copies an object server-side (in parts when it is large).
func (b *s3Backend) copy(ctx context.Context, from, to string) error {
	_, err := b.c.ComposeObject(ctx, minio.CopyDestOptions{Bucket: b.bucket, Object: to},
		minio.CopySrcOptions{Bucket: b.bucket, Object: from})
	return s3Err(err)
}

func (b *s3Backend) chtimes(context.Context, loc, time.Time, time.Time) error {
	return b.f.keepsTimes() // an object's time is when it was put
}

func (b *s3Backend) props(context.Context, loc) ([]byte, error) { return nil, nil }

func (b *s3Backend) dirProps(context.Context, loc, []fs.FileInfo) (map[string][]byte, error) {
	return nil, nil
}

func (b *s3Backend) setProps(context.Context, loc, []byte) error { return ErrUnsupported }

func (b *s3Backend) mkdirAll(ctx context.Context, spath string) error {
	segs := strings.Split(rel(spath), "/")
	for i := range segs {
		d := b.prefix + strings.Join(segs[:i+1], "/") + "/"
		if _, err := b.c.StatObject(ctx, b.bucket, d, minio.StatObjectOptions{}); err == nil {
			continue
		}
		if err := b.marker(ctx, d); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
	}
	return nil
}

// walk lists every key under a folder, a page at a time: the markers
// are its folders (a folder only implied by the keys below it is not
// reported), the other keys its files.
func (b *s3Backend) walk(ctx context.Context, dir string, fn func(spath string, fi fs.FileInfo) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	prefix := b.key(locOf(dir)) + "/"
	for oi := range b.c.ListObjects(ctx, b.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if oi.Err != nil {
			return s3Err(oi.Err)
		}
		sp, isDir := strings.CutSuffix("/"+strings.TrimPrefix(oi.Key, b.prefix), "/")
		if oi.Key == prefix || path.Clean(sp) != sp {
			continue // the folder's own marker, or a key no path names
		}
		if err := fn(sp, s3Info{name: path.Base(sp), dir: isDir, size: oi.Size, mod: oi.LastModified}); err != nil {
			return err
		}
	}
	return nil
}

func (b *s3Backend) fileAt(ctx context.Context, spath string) (blob, fs.FileInfo, error) {
	o, err := b.get(b.key(locOf(spath)))
	if err != nil {
		return nil, nil, err
	}
	return o, s3Info{name: path.Base(spath), size: o.size, mod: o.mod}, nil
}

// removeUnder removes every key under prefix.
func (b *s3Backend) removeUnder(ctx context.Context, prefix string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for oi := range b.c.ListObjects(ctx, b.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if oi.Err != nil {
			return s3Err(oi.Err)
		}
		if err := b.c.RemoveObject(ctx, b.bucket, oi.Key, minio.RemoveObjectOptions{}); err != nil {
			return s3Err(err)
		}
	}
	return nil
}

// place puts the staged upload to its key, and returns only once the
// store has answered the put: the object is visible only complete (a
// multipart put becomes visible at its completion). A new file is put
// with If-None-Match: *, so it never replaces an object that appeared
// since it was checked (ErrExists); an overwrite first copies the object
// it replaces aside (under <prefix>.incoming/), to put it back if the
// upload is not committed.
func (b *s3Backend) place(ctx context.Context, u *Upload) (placement, error) {
	f, fi, err := openServed(b.f.incoming, u.name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p := &s3Placement{b: b, u: u, key: b.key(u.t.loc())}
	if u.act == authz.Overwrite {
		aside := b.aside + u.name
		switch err := b.copy(ctx, p.key, aside); {
		case err == nil:
			p.aside = aside
		case !errors.Is(err, fs.ErrNotExist): // gone: a new file after all
			return nil, err
		}
	}
	if err := b.put(ctx, p.key, f, fi.Size(), p.aside != ""); err != nil {
		if p.aside != "" {
			b.c.RemoveObject(ctx, b.bucket, p.aside, minio.RemoveObjectOptions{})
		}
		return nil, err
	}
	b.f.step("rename", u.t.spath)
	return p, nil
}

// s3Placement is an upload put to its key, not yet acknowledged.
type s3Placement struct {
	b     *s3Backend
	u     *Upload
	key   string
	aside string // the object the upload replaced, kept until keep
}

func (p *s3Placement) sync() error { return nil } // the store answered the put: it is durable there

func (p *s3Placement) keep() {
	if p.aside != "" {
		p.b.c.RemoveObject(context.Background(), p.b.bucket, p.aside, minio.RemoveObjectOptions{})
	}
	p.b.f.removeTemp(p.u.name)
}

func (p *s3Placement) undo() error {
	ctx := context.Background()
	var err error
	if p.aside != "" {
		if err = p.b.copy(ctx, p.aside, p.key); err == nil {
			err = s3Err(p.b.c.RemoveObject(ctx, p.b.bucket, p.aside, minio.RemoveObjectOptions{}))
		}
	} else {
		err = s3Err(p.b.c.RemoveObject(ctx, p.b.bucket, p.key, minio.RemoveObjectOptions{}))
	}
	p.b.f.removeTemp(p.u.name)
	return err
}

func (p *s3Placement) close() {}

// s3Info describes an object or a folder.
type s3Info struct {
	name string
	size int64
	mod  time.Time
	dir  bool
}

func (i s3Info) Name() string       { return i.name }
func (i s3Info) Size() int64        { return i.size }
func (i s3Info) ModTime() time.Time { return i.mod }
func (i s3Info) IsDir() bool        { return i.dir }
func (i s3Info) Sys() any           { return nil }
func (i s3Info) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | dirMode
	}
	return fileMode
}
