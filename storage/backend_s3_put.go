package storage

import (
	"context"
	"io"
	"os"

	"github.com/minio/minio-go/v7"
)

// put puts the staged file f (size bytes) at key k. A new file (!replace)
// is put with If-None-Match: *, so it never replaces an object that
// appeared since it was checked: the store refuses it (fs.ErrExist). A
// file larger than one part is put in parts, each read from f in turn,
// and is visible only when the store completes it; the condition goes on
// the completion (minio-go's own multipart put does not send it there).
//
// An empty file goes with no body to sign: over plain HTTP minio-go signs
// a PUT's body in chunks (aws-chunked), and versitygw answers an empty
// chunked body and closes the connection before the client has written
// its last chunk; minio-go then sees a broken pipe and sends the PUT
// again, and the retry of a conditional put is refused as if another had
// put the object first (6 in 1,600 empty PUTs under -race; none since).
func (b *s3Backend) put(ctx context.Context, k string, f *os.File, size int64, replace bool) error {
	opts := minio.PutObjectOptions{ContentType: "application/octet-stream", DisableMultipart: true, DisableContentSha256: size == 0}
	if !replace {
		opts.SetMatchETagExcept("*")
	}
	if size <= s3PartSize {
		_, err := b.c.PutObject(ctx, b.bucket, k, io.NewSectionReader(f, 0, size), size, opts)
		return s3Err(err)
	}
	core := minio.Core{Client: b.c}
	id, err := core.NewMultipartUpload(ctx, b.bucket, k, minio.PutObjectOptions{ContentType: opts.ContentType})
	if err != nil {
		return s3Err(err)
	}
	var parts []minio.CompletePart
	for off, n := int64(0), 1; off < size; off, n = off+s3PartSize, n+1 {
		part, err := core.PutObjectPart(ctx, b.bucket, k, id, n, io.NewSectionReader(f, off, min(s3PartSize, size-off)),
			min(s3PartSize, size-off), minio.PutObjectPartOptions{})
		if err != nil {
			core.AbortMultipartUpload(context.WithoutCancel(ctx), b.bucket, k, id)
			return s3Err(err)
		}
		parts = append(parts, minio.CompletePart{PartNumber: n, ETag: part.ETag})
	}
	if _, err := core.CompleteMultipartUpload(ctx, b.bucket, k, id, parts, opts); err != nil {
		core.AbortMultipartUpload(context.WithoutCancel(ctx), b.bucket, k, id)
		return s3Err(err)
	}
	return nil
}
