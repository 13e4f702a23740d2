package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"path"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// DefaultPartSize is the size of the parts an archive is uploaded in: the
// most of an archive the S3 target holds in memory (none when the archive
// is a file, read in place).
const DefaultPartSize = 16 << 20

// minPartSize is S3's smallest part but the last.
const minPartSize = 5 << 20

// maxParts is S3's limit of parts in one upload.
const maxParts = 10000

// S3Options say where an S3 target's archives go.
type S3Options struct {
	Endpoint  string // host:port of the S3 API
	Bucket    string // must exist
	Prefix    string // key prefix of every archive ("" or a folder: "custodia/")
	Region    string // "" asks the server
	AccessKey string
	SecretKey string
	// Insecure speaks plain HTTP; allowed only for a loopback endpoint.
	Insecure bool
	// ObjectLock is "", "governance" or "compliance": each archive and
	// its checksum are put with that retention mode, until the end of
	// their job's retention. The bucket must have object lock enabled.
	ObjectLock string
	PartSize   int64 // 0 is DefaultPartSize; at least 5 MiB
}

// S3 is a target in an S3-compatible bucket. An archive is uploaded in
// parts and becomes an object only when the upload completes; a failed
// or cancelled upload is aborted, so neither an object nor parts remain.
type S3 struct {
	c        *minio.Core
	endpoint string
	bucket   string
	prefix   string
	mode     minio.RetentionMode // "" when archives are not locked
	partSize int64
}

// NewS3 checks the options and makes the client; it does not reach the
// server.
func NewS3(o S3Options) (*S3, error) {
	if err := CheckS3Endpoint(o.Endpoint, o.Insecure); err != nil {
		return nil, fmt.Errorf("backup: s3 target: %w", err)
	}
	if o.Bucket == "" {
		return nil, errors.New("backup: s3 target: no bucket")
	}
	if o.AccessKey == "" || o.SecretKey == "" {
		return nil, errors.New("backup: s3 target: the access key and the secret key are both needed")
	}
	var mode minio.RetentionMode
	switch strings.ToLower(o.ObjectLock) {
	case "", "off":
	case "governance":
		mode = minio.Governance
	case "compliance":
		mode = minio.Compliance
	default:
		return nil, fmt.Errorf("backup: s3 target: object_lock %q: want off, governance or compliance", o.ObjectLock)
	}
	ps := o.PartSize
	if ps == 0 {
		ps = DefaultPartSize
	}
	if ps < minPartSize {
		return nil, fmt.Errorf("backup: s3 target: part size %d: want at least %d", ps, minPartSize)
	}
	c, err := minio.NewCore(o.Endpoint, &minio.Options{
		Creds: credentials.NewStaticV4(o.AccessKey, o.SecretKey, ""), Secure: !o.Insecure, Region: o.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("backup: s3 target %s: %w", o.Endpoint, err)
	}
	prefix := strings.Trim(o.Prefix, "/")
	return &S3{c: c, endpoint: o.Endpoint, bucket: o.Bucket, prefix: prefix, mode: mode, partSize: ps}, nil
}

// CheckS3Endpoint accepts host:port (no scheme); plain HTTP only when the
// host is a loopback address, so keys and archives never cross a network
// in the clear.
func CheckS3Endpoint(endpoint string, insecure bool) error {
	if endpoint == "" {
		return errors.New("no endpoint")
	}
	if strings.Contains(endpoint, "://") || strings.ContainsAny(endpoint, "/?# ") {
		return fmt.Errorf("endpoint %q: want host:port, without a scheme or path", endpoint)
	}
	host, _, err := net.SplitHostPort(endpoint)
	if err != nil {
		host = endpoint
	}
	if insecure && !isLoopback(host) {
		return fmt.Errorf("endpoint %q: plain HTTP (insecure) is allowed only for a loopback endpoint (127.0.0.1, ::1, localhost): "+
			"use HTTPS for any other", endpoint)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// Name is "s3".
func (*S3) Name() string { return "s3" }

func (s *S3) key(name string) string {
	if s.prefix == "" {
		return name
	}
	return path.Join(s.prefix, name)
}

// Put stores an archive with no lock.
func (s *S3) Put(ctx context.Context, name string, r io.Reader, size int64, sum string) error {
	return s.PutRetained(ctx, name, r, size, sum, time.Time{})
}

// PutRetained uploads an archive in parts, checking the bytes sent
// against size and sum, puts its checksum, and only then completes the
// upload; on any failure the upload is aborted. When the target locks
// and until is set, both objects are retained until then.
func (s *S3) PutRetained(ctx context.Context, name string, r io.Reader, size int64, sum string, until time.Time) error {
	opts := minio.PutObjectOptions{ContentType: "application/octet-stream"}
	if s.mode != "" && !until.IsZero() {
		opts.Mode, opts.RetainUntilDate = s.mode, until.UTC().Truncate(time.Second).Add(time.Second)
	}
	key := s.key(name)
	id, err := s.c.NewMultipartUpload(ctx, s.bucket, key, opts)
	if err != nil {
		return s.wrap("upload "+name, err)
	}
	parts, err := s.upload(ctx, key, id, r, size, sum)
	if err == nil {
		line := checksumLine(sum, name)
		_, err = s.c.PutObject(ctx, s.bucket, key+".sha256", bytes.NewReader(line), int64(len(line)), "", "", opts)
		if err != nil {
			err = s.wrap("put "+name+".sha256", err)
		}
	}
	if err == nil {
		if _, err = s.c.CompleteMultipartUpload(ctx, s.bucket, key, id, parts, opts); err != nil {
			err = s.wrap("complete "+name, err)
		}
	}
	if err != nil {
		// The run may have been cancelled: the abort goes on, bounded.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if aerr := s.c.AbortMultipartUpload(actx, s.bucket, key, id); aerr != nil {
			err = errors.Join(err, s.wrap("abort the upload of "+name, aerr))
		}
		return err
	}
	return nil
}

// upload sends the parts of one upload, and fails unless they hold
// exactly size bytes whose sha256 is sum.
func (s *S3) upload(ctx context.Context, key, id string, r io.Reader, size int64, sum string) ([]minio.CompletePart, error) {
	ps := s.partSize
	if size > 0 && (size+ps-1)/ps > maxParts {
		ps = (size + maxParts - 1) / maxParts
	}
	h := sha256.New()
	src := partSource{r: r, size: size, ps: ps, h: h}
	var parts []minio.CompletePart
	var sent int64
	for n := 1; n <= maxParts; n++ {
		part, pn, err := src.next(sent)
		if err != nil {
			return nil, s.wrap("read "+key, err)
		}
		if pn == 0 && n > 1 {
			break
		}
		p, err := s.c.PutObjectPart(ctx, s.bucket, key, id, n, part, pn, minio.PutObjectPartOptions{})
		if err != nil {
			return nil, s.wrap(fmt.Sprintf("upload part %d of %s", n, key), err)
		}
		if p.Size != pn {
			return nil, s.wrap(key, fmt.Errorf("part %d: the server holds %d of %d bytes", n, p.Size, pn))
		}
		parts = append(parts, minio.CompletePart{PartNumber: n, ETag: p.ETag})
		sent += pn
		if pn < ps || (size >= 0 && sent == size) {
			break
		}
	}
	if got := hex.EncodeToString(h.Sum(nil)); (size >= 0 && sent != size) || got != sum {
		return nil, s.wrap(key, fmt.Errorf("sent %d bytes, sha256 %s; want %d bytes, sha256 %s", sent, got, size, sum))
	}
	return parts, nil
}

// partSource cuts an archive into parts: sections of the file read in
// place when it is one, else one reused buffer of the part size.
type partSource struct {
	r    io.Reader
	size int64
	ps   int64
	h    hash.Hash
	buf  []byte
}

// next returns the part that starts at off, and its length.
func (p *partSource) next(off int64) (io.Reader, int64, error) {
	if ra, ok := p.r.(io.ReaderAt); ok && p.size >= 0 {
		n := min(p.ps, p.size-off)
		return io.TeeReader(io.NewSectionReader(ra, off, n), p.h), n, nil
	}
	if p.buf == nil {
		p.buf = make([]byte, p.ps)
	}
	n, err := io.ReadFull(p.r, p.buf)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, 0, err
	}
	p.h.Write(p.buf[:n])
	return bytes.NewReader(p.buf[:n]), int64(n), nil
}

// Open reads an archive.
func (s *S3) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	o, err := s.c.Client.GetObject(ctx, s.bucket, s.key(name), minio.GetObjectOptions{})
	if err != nil {
		return nil, s.wrap("open "+name, err)
	}
	if _, err := o.Stat(); err != nil {
		o.Close()
		return nil, s.wrap("open "+name, err)
	}
	return o, nil
}

// Remove deletes an archive and its checksum, every version of them,
// and aborts an upload of the archive that a stopped process left
// pending; one already gone is fine. A version still locked is not
// deleted, and the server's refusal is returned.
func (s *S3) Remove(ctx context.Context, name string) error {
	var errs []error
	ups, err := s.c.ListMultipartUploads(ctx, s.bucket, s.key(name), "", "", "", 1000)
	if err != nil {
		errs = append(errs, s.wrap("list the pending uploads of "+name, err))
	}
	for _, u := range ups.Uploads {
		if u.Key != s.key(name) {
			continue
		}
		if err := s.c.AbortMultipartUpload(ctx, s.bucket, u.Key, u.UploadID); err != nil {
			errs = append(errs, s.wrap("abort the upload of "+name, err))
		}
	}
	for _, key := range []string{s.key(name), s.key(name) + ".sha256"} {
		for o := range s.c.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Prefix: key, WithVersions: true}) {
			if o.Err != nil {
				errs = append(errs, s.wrap("list "+key, o.Err))
				break
			}
			if o.Key != key {
				continue
			}
			if err := s.c.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{VersionID: o.VersionID}); err != nil {
				errs = append(errs, s.wrap("remove "+key, err))
			}
		}
	}
	return errors.Join(errs...)
}

// LockedUntil is when the archive's retention ends; zero when it has
// none (or the bucket locks nothing). It reads the retention a HEAD
// reports (x-amz-object-lock-retain-until-date), which every server
// with object lock sends, rather than GetObjectRetention, whose reply
// some (versitygw 1.8) encode in a form minio-go does not read.
func (s *S3) LockedUntil(ctx context.Context, name string) (time.Time, error) {
	var last time.Time
	for _, key := range []string{s.key(name), s.key(name) + ".sha256"} {
		info, err := s.c.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
		if minio.ToErrorResponse(err).Code == "NoSuchKey" {
			continue
		}
		if err != nil {
			return time.Time{}, s.wrap("retention of "+key, err)
		}
		v := info.Metadata.Get("X-Amz-Object-Lock-Retain-Until-Date")
		if v == "" {
			continue
		}
		until, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return time.Time{}, s.wrap("retention of "+key, fmt.Errorf("retain-until date %q: %w", v, err))
		}
		if until.After(last) {
			last = until
		}
	}
	return last, nil
}

// wrap names the target and turns the server's refusals that an operator
// can fix into sentences; the secret key is never part of an error.
func (s *S3) wrap(what string, err error) error {
	where := fmt.Sprintf("backup: s3 target %s bucket %s: %s", s.endpoint, s.bucket, what)
	switch code := minio.ToErrorResponse(err).Code; {
	case code == "SignatureDoesNotMatch" || code == "InvalidAccessKeyId" ||
		(code == "AccessDenied" && !strings.HasPrefix(what, "remove ")): // a remove is denied by a lock
		return fmt.Errorf("%s: the server refused the credentials (check backup.s3.access_key and backup.s3.secret_key): %w", where, err)
	case code == "NoSuchBucket":
		return fmt.Errorf("%s: the bucket does not exist (create it, with object lock enabled when backup.s3.object_lock is set): %w", where, err)
	case s.mode != "" && strings.Contains(strings.ToLower(err.Error()), "objectlockconfiguration"):
		return fmt.Errorf("%s: the bucket has no object lock (backup.s3.object_lock is %s): create the bucket with object lock enabled: %w",
			where, strings.ToLower(string(s.mode)), err)
	}
	return fmt.Errorf("%s: %w", where, err)
}
