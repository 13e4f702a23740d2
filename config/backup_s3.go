package config

import (
	"fmt"
	"strings"
)

// BackupS3 is an off-site target in an S3-compatible bucket. The secret
// key belongs in the environment (CUSTODIA_BACKUP_S3_SECRET_KEY) rather
// than the file; check-config never prints it.
type BackupS3 struct {
	Endpoint  string `toml:"endpoint"` // host:port of the S3 API, no scheme; empty: no S3 target
	Bucket    string `toml:"bucket"`   // must exist (with object lock enabled when object_lock is set)
	Prefix    string `toml:"prefix"`   // key prefix of the archives, e.g. custodia/
	Region    string `toml:"region"`   // empty: asked of the server
	AccessKey string `toml:"access_key"`
	SecretKey string `toml:"secret_key"`
	// Insecure speaks plain HTTP: allowed only for a loopback endpoint.
	Insecure bool `toml:"insecure"`
	// ObjectLock is off, governance or compliance: archives and their
	// checksums are retained until their job's retention ends.
	ObjectLock string `toml:"object_lock"`
}

// validateBackupS3 checks the S3 target, when one is set.
func (c Config) validateBackupS3() Problems {
	var ps Problems
	add := func(key, format string, a ...any) { ps = append(ps, Problem{key, fmt.Sprintf(format, a...)}) }
	s := c.Backup.S3
	if s.Endpoint == "" {
		if s.Bucket != "" {
			add("backup.s3.endpoint", "backup.s3.bucket is set: the S3 target needs an endpoint (host:port)")
		}
		return ps
	}
	ps = append(ps, checkS3Endpoint("backup.s3", s.Endpoint, s.Insecure)...)
	if s.Bucket == "" {
		add("backup.s3.bucket", "the S3 target needs a bucket")
	}
	if s.AccessKey == "" {
		add("backup.s3.access_key", "the S3 target needs an access key")
	}
	if s.SecretKey == "" {
		add("backup.s3.secret_key", "the S3 target needs a secret key (CUSTODIA_BACKUP_S3_SECRET_KEY)")
	}
	switch strings.ToLower(s.ObjectLock) {
	case "", Off, "governance", "compliance":
	default:
		add("backup.s3.object_lock", "%q: want off, governance or compliance", s.ObjectLock)
	}
	return ps
}
