package config_test

import (
	"slices"
	"testing"

	"github.com/oaq/custodia/config"
)

// TestStorageS3Times: storage.s3.times is "ignore" unless set, takes
// "refuse" from CUSTODIA_STORAGE_S3_TIMES, is shown by check-config, and
// any other value is reported under its key.
func TestStorageS3Times(t *testing.T) {
	t.Parallel()
	s3 := []string{"CUSTODIA_STORAGE_BACKEND=s3", "CUSTODIA_STORAGE_S3_ENDPOINT=127.0.0.1:7070", "CUSTODIA_STORAGE_S3_INSECURE=true",
		"CUSTODIA_STORAGE_S3_BUCKET=b", "CUSTODIA_STORAGE_S3_ACCESS_KEY=a", "CUSTODIA_STORAGE_S3_SECRET_KEY=s"}
	c, err := config.Load("", s3)
	if err != nil {
		t.Fatal(err)
	}
	if c.Storage.S3.Times != config.TimesIgnore {
		t.Errorf("storage.s3.times is %q by default, want ignore", c.Storage.S3.Times)
	}
	c, err = config.Load("", append(s3, "CUSTODIA_STORAGE_S3_TIMES=refuse"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Storage.S3.Times != config.TimesRefuse {
		t.Errorf("CUSTODIA_STORAGE_S3_TIMES=refuse gave %q", c.Storage.S3.Times)
	}
	if !slices.Contains(config.Keys(c), [2]string{"storage.s3.times", "refuse"}) {
		t.Error("check-config does not show storage.s3.times = refuse")
	}
	for _, env := range [][]string{append(s3, "CUSTODIA_STORAGE_S3_TIMES=keep"), {"CUSTODIA_STORAGE_S3_TIMES=Ignore"}} {
		_, err := config.Load("", env)
		if err == nil {
			t.Errorf("%q loaded, want a problem with storage.s3.times", env)
			continue
		}
		if keys := problemKeys(t, err); !slices.Contains(keys, "storage.s3.times") {
			t.Errorf("%q: storage.s3.times is not reported; got %q", env, keys)
		}
	}
}
