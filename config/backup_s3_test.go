package config_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/oaq/custodia/config"
)

// The S3 backup target: a whole one loads (its secret from the
// environment, never shown by Keys); each missing or unsafe setting is
// reported under its own key, plain HTTP beyond loopback among them.
func TestBackupS3Config(t *testing.T) {
	t.Parallel()
	const secret = "s3-secret-do-not-print-0123456789"
	env := func(extra ...string) []string {
		return append([]string{"CUSTODIA_DATA_DIR=" + t.TempDir(), "CUSTODIA_BACKUP_S3_ENDPOINT=127.0.0.1:7070",
			"CUSTODIA_BACKUP_S3_BUCKET=respaldos", "CUSTODIA_BACKUP_S3_ACCESS_KEY=custodia",
			"CUSTODIA_BACKUP_S3_SECRET_KEY=" + secret, "CUSTODIA_BACKUP_S3_INSECURE=true",
			"CUSTODIA_BACKUP_S3_OBJECT_LOCK=compliance"}, extra...)
	}
	c, err := config.Load("", env())
	if err != nil {
		t.Fatalf("a whole S3 target was refused: %v", err)
	}
	if s := c.Backup.S3; s.SecretKey != secret || !s.Insecure || s.ObjectLock != "compliance" || s.Bucket != "respaldos" {
		t.Fatalf("loaded %+v", s)
	}
	for _, kv := range config.Keys(c) {
		if strings.Contains(kv[1], secret) {
			t.Errorf("Keys prints the secret key as %s = %s", kv[0], kv[1])
		}
		if kv[0] == "backup.s3.secret_key" && kv[1] != "(set)" {
			t.Errorf("backup.s3.secret_key is shown as %q, want (set)", kv[1])
		}
	}
	for _, c := range []struct {
		env  []string
		want []string
	}{
		{[]string{"CUSTODIA_BACKUP_S3_ENDPOINT=s3.example.com:443"}, []string{"backup.s3.insecure"}},
		{[]string{"CUSTODIA_BACKUP_S3_ENDPOINT=10.1.2.3:9000"}, []string{"backup.s3.insecure"}},
		{[]string{"CUSTODIA_BACKUP_S3_ENDPOINT=https://s3.example.com"}, []string{"backup.s3.endpoint"}},
		{[]string{"CUSTODIA_BACKUP_S3_ENDPOINT=s3.example.com"}, []string{"backup.s3.endpoint"}},
		{[]string{"CUSTODIA_BACKUP_S3_BUCKET=", "CUSTODIA_BACKUP_S3_SECRET_KEY="}, []string{"backup.s3.bucket", "backup.s3.secret_key"}},
		{[]string{"CUSTODIA_BACKUP_S3_ACCESS_KEY="}, []string{"backup.s3.access_key"}},
		{[]string{"CUSTODIA_BACKUP_S3_OBJECT_LOCK=always"}, []string{"backup.s3.object_lock"}},
		{[]string{"CUSTODIA_BACKUP_S3_ENDPOINT="}, []string{"backup.s3.endpoint"}}, // a bucket but no endpoint
	} {
		_, err := config.Load("", env(c.env...))
		if got := problemKeys(t, err); !slices.Equal(got, c.want) {
			t.Errorf("%v: problems %v, want %v", c.env, got, c.want)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("%v: the error shows the secret: %v", c.env, err)
		}
	}
	if _, err := config.Load("", env("CUSTODIA_BACKUP_S3_ENDPOINT=s3.example.com:443", "CUSTODIA_BACKUP_S3_INSECURE=false")); err != nil {
		t.Errorf("HTTPS to a remote endpoint was refused: %v", err)
	}
}
