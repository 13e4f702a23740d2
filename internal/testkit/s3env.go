package testkit

import (
	"context"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// StorageEnv is the CUSTODIA_* settings of a gateway whose files live in
// bucket (created by the gateway at start) under prefix on s.
func (s *S3) StorageEnv(bucket, prefix string) []string {
	return []string{
		"CUSTODIA_STORAGE_BACKEND=s3", "CUSTODIA_STORAGE_S3_ENDPOINT=" + s.Endpoint,
		"CUSTODIA_STORAGE_S3_BUCKET=" + bucket, "CUSTODIA_STORAGE_S3_PREFIX=" + prefix,
		"CUSTODIA_STORAGE_S3_ACCESS_KEY=" + s.AccessKey, "CUSTODIA_STORAGE_S3_SECRET_KEY=" + s.SecretKey,
		"CUSTODIA_STORAGE_S3_INSECURE=true",
	}
}

// Client is a minio-go client of s, to look at a bucket behind the
// gateway's back.
func (s *S3) Client(t testing.TB) *minio.Client {
	t.Helper()
	c, err := minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Keys lists every key of bucket under prefix, without the prefix.
func (s *S3) Keys(t testing.TB, bucket, prefix string) []string {
	t.Helper()
	var out []string
	for oi := range s.Client(t).ListObjects(context.Background(), bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if oi.Err != nil {
			t.Fatalf("listing bucket %s: %v", bucket, oi.Err)
		}
		out = append(out, strings.TrimPrefix(oi.Key, prefix))
	}
	return out
}
