package config

import (
	"fmt"
	"net"
	"strings"
)

// StorageS3 is the bucket the files live in when storage.backend = "s3".
type StorageS3 struct {
	Endpoint  string `toml:"endpoint"`   // host:port of the S3 API, no scheme
	Bucket    string `toml:"bucket"`     // created at start when missing
	Prefix    string `toml:"prefix"`     // keys are <prefix>/clients/ACME/…
	Region    string `toml:"region"`     // "" lets the client ask the server
	AccessKey string `toml:"access_key"` // CUSTODIA_STORAGE_S3_ACCESS_KEY
	SecretKey string `toml:"secret_key"` // CUSTODIA_STORAGE_S3_SECRET_KEY; check-config shows "(set)"
	// Insecure speaks plain HTTP: allowed only to a loopback endpoint.
	Insecure bool `toml:"insecure"`
	// Times is what a client's change of a file's times gets (SFTP
	// setstat, FTP MFMT), which an object cannot keep: "ignore" answers
	// success and stores nothing (the default: WinSCP and `sftp put -p`
	// set times after every upload), "refuse" answers unsupported.
	Times string `toml:"times"`
}

// S3 time modes (StorageS3.Times).
const (
	TimesIgnore = "ignore"
	TimesRefuse = "refuse"
)

// validateS3 checks the backend and, for "s3", the bucket's settings.
func (s Storage) validateS3() Problems {
	var ps Problems
	if t := s.S3.Times; t != TimesIgnore && t != TimesRefuse {
		ps = append(ps, Problem{"storage.s3.times", fmt.Sprintf("%q: want ignore or refuse", t)})
	}
	switch s.Backend {
	case "local":
		return ps
	case "s3":
	default:
		return Problems{{"storage.backend", fmt.Sprintf("%q: want local or s3", s.Backend)}}
	}
	o := s.S3
	if o.Endpoint == "" {
		ps = append(ps, Problem{"storage.s3.endpoint", "storage.backend is s3: want the S3 API's host:port"})
	} else {
		ps = append(ps, checkS3Endpoint("storage.s3", o.Endpoint, o.Insecure)...)
	}
	if o.Bucket == "" {
		ps = append(ps, Problem{"storage.s3.bucket", "storage.backend is s3: want a bucket name"})
	}
	if o.AccessKey == "" || o.SecretKey == "" {
		ps = append(ps, Problem{"storage.s3.access_key", "storage.backend is s3: want access_key and secret_key (or CUSTODIA_STORAGE_S3_ACCESS_KEY and CUSTODIA_STORAGE_S3_SECRET_KEY)"})
	}
	if p := strings.Trim(o.Prefix, "/"); strings.Contains("/"+p+"/", "/../") || strings.Contains("/"+p+"/", "/./") || strings.Contains(p, "//") {
		ps = append(ps, Problem{"storage.s3.prefix", fmt.Sprintf("%q: want names separated by /, without . or ..", o.Prefix)})
	}
	return ps
}

// checkS3Endpoint checks an S3 endpoint (section is "storage.s3" or
// "backup.s3"): host:port without a scheme or path, and plain HTTP only to
// this host.
func checkS3Endpoint(section, endpoint string, insecure bool) Problems {
	host, port, err := net.SplitHostPort(endpoint)
	switch {
	case strings.Contains(endpoint, "://") || strings.ContainsAny(endpoint, "/?# "):
		return Problems{{section + ".endpoint", fmt.Sprintf("%q: want host:port, without a scheme or path (HTTPS is used unless insecure)", endpoint)}}
	case err != nil || host == "" || port == "":
		return Problems{{section + ".endpoint", fmt.Sprintf("%q: want host:port", endpoint)}}
	case insecure && !loopbackHost(host):
		return Problems{{section + ".insecure", fmt.Sprintf("plain HTTP to %q is allowed only to a loopback endpoint (127.0.0.0/8, ::1, localhost): use HTTPS", endpoint)}}
	}
	return nil
}

// loopbackHost reports whether host names this host.
func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
