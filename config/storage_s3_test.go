package config_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/oaq/custodia/config"
)

// TestStorageS3FromEnv: the S3 backend is set from CUSTODIA_STORAGE_*
// variables, and Keys (check-config) never shows the secret key.
func TestStorageS3FromEnv(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-never-printed-0123456789"
	c, err := config.Load("", []string{
		"CUSTODIA_STORAGE_BACKEND=s3",
		"CUSTODIA_STORAGE_S3_ENDPOINT=127.0.0.1:7070",
		"CUSTODIA_STORAGE_S3_BUCKET=custodia",
		"CUSTODIA_STORAGE_S3_PREFIX=gw",
		"CUSTODIA_STORAGE_S3_ACCESS_KEY=AKIA",
		"CUSTODIA_STORAGE_S3_SECRET_KEY=" + secret,
		"CUSTODIA_STORAGE_S3_INSECURE=true",
	})
	if err != nil {
		t.Fatalf("loading an S3 backend from the environment: %v", err)
	}
	if c.Storage.Backend != "s3" || c.Storage.S3.Endpoint != "127.0.0.1:7070" || c.Storage.S3.SecretKey != secret || !c.Storage.S3.Insecure {
		t.Errorf("the S3 settings did not load from the environment: %+v", c.Storage)
	}
	for _, kv := range config.Keys(c) {
		if strings.Contains(kv[1], secret) {
			t.Errorf("check-config shows the S3 secret key under %s", kv[0])
		}
		if kv[0] == "storage.s3.secret_key" && kv[1] != "(set)" {
			t.Errorf("storage.s3.secret_key shows %q, want (set)", kv[1])
		}
	}
}

// TestStorageS3Mistakes: a backend with no bucket or keys, plain http to
// a remote endpoint, an endpoint with a scheme and an unknown backend are
// each reported under their key, and the secret key is never in the report.
func TestStorageS3Mistakes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  []string
		want []string
	}{
		{[]string{"CUSTODIA_STORAGE_BACKEND=s3"}, []string{"storage.s3.endpoint", "storage.s3.bucket", "storage.s3.access_key"}},
		{[]string{"CUSTODIA_STORAGE_BACKEND=s3", "CUSTODIA_STORAGE_S3_ENDPOINT=s3.example.com:443", "CUSTODIA_STORAGE_S3_INSECURE=true",
			"CUSTODIA_STORAGE_S3_BUCKET=b", "CUSTODIA_STORAGE_S3_ACCESS_KEY=a", "CUSTODIA_STORAGE_S3_SECRET_KEY=topsecret-value"}, []string{"storage.s3.insecure"}},
		{[]string{"CUSTODIA_STORAGE_BACKEND=s3", "CUSTODIA_STORAGE_S3_ENDPOINT=https://s3.example.com",
			"CUSTODIA_STORAGE_S3_BUCKET=b", "CUSTODIA_STORAGE_S3_ACCESS_KEY=a", "CUSTODIA_STORAGE_S3_SECRET_KEY=topsecret-value",
			"CUSTODIA_STORAGE_S3_PREFIX=a/../b"}, []string{"storage.s3.endpoint", "storage.s3.prefix"}},
		{[]string{"CUSTODIA_STORAGE_BACKEND=nfs"}, []string{"storage.backend"}},
	} {
		_, err := config.Load("", tc.env)
		if err == nil {
			t.Errorf("%q loaded, want problems with %q", tc.env, tc.want)
			continue
		}
		keys := problemKeys(t, err)
		for _, w := range tc.want {
			if !slices.Contains(keys, w) {
				t.Errorf("%q: %s is not reported; got %q", tc.env, w, keys)
			}
		}
		if strings.Contains(err.Error(), "topsecret-value") {
			t.Errorf("the report shows the secret key: %v", err)
		}
	}
	if _, err := config.Load("", []string{"CUSTODIA_STORAGE_BACKEND=s3", "CUSTODIA_STORAGE_S3_ENDPOINT=[::1]:9000", "CUSTODIA_STORAGE_S3_INSECURE=true",
		"CUSTODIA_STORAGE_S3_BUCKET=b", "CUSTODIA_STORAGE_S3_ACCESS_KEY=a", "CUSTODIA_STORAGE_S3_SECRET_KEY=s"}); err != nil {
		t.Errorf("plain http to [::1]:9000 (loopback) is refused: %v", err)
	}
}
