package cluster

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/oaq/custodia/config"
)

// ExampleEnv reads deploy/<name> (custodia.env.example, gw1.env.example…)
// as systemd's EnvironmentFile= does (KEY=value lines; # comments and
// blank lines skipped) and checks that every key is a custodia setting.
func ExampleEnv(name string) ([]string, error) {
	file := filepath.Join(Deploy(), name)
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	known := map[string]bool{}
	for _, kv := range config.Keys(config.Default()) {
		known[config.EnvName(kv[0])] = true
	}
	var env []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, _, ok := strings.Cut(line, "=")
		if !ok || !known[k] {
			return nil, fmt.Errorf("%s:%d: %q is not a custodia setting (KEY=value, KEY one of config's CUSTODIA_* names)", file, n, line)
		}
		env = append(env, line)
	}
	return env, sc.Err()
}

// siteKeys are the settings of the example that name the site: the test
// replaces them with the cluster's database, bucket and addresses (each
// must be in the file). Every other setting of the example is used as it
// is.
var siteKeys = []string{
	"CUSTODIA_DATABASE_URL", "CUSTODIA_STORAGE_S3_ENDPOINT", "CUSTODIA_STORAGE_S3_BUCKET",
	"CUSTODIA_STORAGE_S3_ACCESS_KEY", "CUSTODIA_STORAGE_S3_SECRET_KEY",
	"CUSTODIA_PROXY_PROTOCOL_TRUSTED", "CUSTODIA_PUBLIC_HOST", "CUSTODIA_FTP_PUBLIC_HOST",
}

// listenPorts are the listeners the example must put on custodia's
// default ports, the ones deploy/haproxy.cfg forwards to; the test binds
// each gateway's own address with the same port.
var listenPorts = map[string]string{
	"CUSTODIA_SFTP_LISTEN": ":" + sftpPort, "CUSTODIA_FTP_LISTEN": ":" + ftpPort,
	"CUSTODIA_WEBDAV_LISTEN": ":" + davPort, "CUSTODIA_WEB_LISTEN": ":" + webPort,
}

// gatewayEnv is the example's settings for this cluster, shared by every
// gateway (their listen addresses are added per gateway), then extra.
func (c *Cluster) gatewayEnv(extra []string) ([]string, error) {
	example, err := ExampleEnv("custodia.env.example")
	if err != nil {
		return nil, err
	}
	site := map[string]string{
		"CUSTODIA_DATABASE_URL":           c.DB,
		"CUSTODIA_STORAGE_S3_ENDPOINT":    c.S3.Endpoint,
		"CUSTODIA_STORAGE_S3_BUCKET":      c.Bucket,
		"CUSTODIA_STORAGE_S3_ACCESS_KEY":  c.S3.AccessKey,
		"CUSTODIA_STORAGE_S3_SECRET_KEY":  c.S3.SecretKey,
		"CUSTODIA_PROXY_PROTOCOL_TRUSTED": c.Proxy(),
		"CUSTODIA_PUBLIC_HOST":            c.Proxy(),
		"CUSTODIA_FTP_PUBLIC_HOST":        c.Proxy(),
	}
	var env []string
	seen := map[string]bool{}
	for _, kv := range example {
		k, v, _ := strings.Cut(kv, "=")
		seen[k] = true
		if want, ok := listenPorts[k]; ok {
			if v != want {
				return nil, fmt.Errorf("deploy/custodia.env.example: %s=%s, but deploy/haproxy.cfg forwards to %s", k, v, want)
			}
			continue // per gateway
		}
		if s, ok := site[k]; ok {
			v = s
		}
		env = append(env, k+"="+v)
	}
	for _, k := range append(slices.Clone(siteKeys), "CUSTODIA_STORAGE_BACKEND") {
		if !seen[k] {
			return nil, fmt.Errorf("deploy/custodia.env.example does not set %s", k)
		}
	}
	for k := range listenPorts {
		if !seen[k] {
			return nil, fmt.Errorf("deploy/custodia.env.example does not set %s", k)
		}
	}
	// What only the test needs: versitygw speaks plain HTTP on loopback;
	// no connection limits (the clients are few addresses); logs at info.
	env = append(env, "CUSTODIA_STORAGE_S3_INSECURE=true",
		"CUSTODIA_LIMITS_MAX_CONNECTIONS=0", "CUSTODIA_LIMITS_MAX_CONNECTIONS_PER_IP=0")
	return append(env, extra...), nil
}
