package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/oaq/custodia/internal/testkit"
)

// TestBackupS3Target configures a gateway with an S3 target (versitygw
// on loopback) through CUSTODIA_BACKUP_S3_*: `backup run` puts the archive
// and its checksum in the bucket under the prefix, `backup list` names
// both targets, `backup verify` reads it back from S3 once the local copy
// is gone, and check-config shows the secret key as set, never its value.
func TestBackupS3Target(t *testing.T) {
	t.Parallel()
	s3 := testkit.StartS3(t)
	admin, err := minio.New(s3.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s3.AccessKey, s3.SecretKey, ""), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := admin.MakeBucket(ctx, "respaldos-oaq", minio.MakeBucketOptions{ObjectLocking: true}); err != nil {
		t.Fatal(err)
	}
	idFile, pub := backupKeys(t)
	settings := []string{
		"CUSTODIA_BACKUP_RECIPIENTS=" + pub, "CUSTODIA_BACKUP_S3_ENDPOINT=" + s3.Endpoint,
		"CUSTODIA_BACKUP_S3_BUCKET=respaldos-oaq", "CUSTODIA_BACKUP_S3_PREFIX=custodia", "CUSTODIA_BACKUP_S3_REGION=us-east-1",
		"CUSTODIA_BACKUP_S3_ACCESS_KEY=" + s3.AccessKey, "CUSTODIA_BACKUP_S3_SECRET_KEY=" + s3.SecretKey,
		"CUSTODIA_BACKUP_S3_INSECURE=true", "CUSTODIA_BACKUP_S3_OBJECT_LOCK=governance",
	}
	tg := startGateway(t, settings...)
	tg.Fixture()
	id := firstField(must(tg, "", "backup", "run", "departments"))
	if list := must(tg, "", "backup", "list"); !strings.Contains(list, id) || !strings.Contains(list, "\tlocal,s3\t") {
		t.Fatalf("the backup is not on both targets:\n%s", list)
	}
	local := filepath.Join(tg.DataDir, "backups", "departments", id+".age")
	lb, err := os.ReadFile(local)
	if err != nil {
		t.Fatal(err)
	}
	key := "custodia/departments/" + id + ".age"
	o, err := admin.GetObject(ctx, "respaldos-oaq", key, minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rb, err := io.ReadAll(o)
	o.Close()
	if err != nil || !bytes.Equal(lb, rb) {
		t.Fatalf("the S3 archive (%d bytes, %v) differs from the local one (%d bytes)", len(rb), err, len(lb))
	}
	info, err := admin.StatObject(ctx, "respaldos-oaq", key+".sha256", minio.StatObjectOptions{})
	if err != nil || info.Metadata.Get("X-Amz-Object-Lock-Mode") != "GOVERNANCE" {
		t.Errorf("the checksum is not under governance lock: %v %v", info.Metadata, err)
	}
	os.Remove(local)
	must(tg, "", "backup", "verify", id, "--identity", idFile) // read from S3

	out, err := runWith(testkit.Env(t.TempDir(), settings...), "check-config")
	if err != nil {
		t.Fatalf("check-config: %v\n%s", err, out)
	}
	if strings.Contains(out, s3.SecretKey) || !strings.Contains(out, "backup.s3.secret_key") {
		t.Errorf("check-config shows the S3 secret key, or does not list it:\n%s", out)
	}
}
