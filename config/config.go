// Package config loads custodia's configuration: one TOML file, every key
// also settable through an environment variable (CUSTODIA_ followed by
// the key path in upper case with "." as "_", e.g. sftp.listen is
// CUSTODIA_SFTP_LISTEN), and defaults that need no file at all.
package config

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Off disables a listener.
const Off = "off"

// Config is the whole configuration.
type Config struct {
	DataDir      string   `toml:"data_dir"`     // where files, database and keys live
	Database     Database `toml:"database"`     // PostgreSQL instead of SQLite in the data dir
	Organization string   `toml:"organization"` // named in credential letters
	PublicHost   string   `toml:"public_host"`  // the name or address clients connect to (letters; PASV when IPv4)
	Departments  []string `toml:"departments"`  // department folders and valid departments
	LogLevel     string   `toml:"log_level"`    // debug, info, warn, error
	LogFormat    string   `toml:"log_format"`   // text or json
	TLS          TLS      `toml:"tls"`
	SFTP         SFTP     `toml:"sftp"`
	FTP          FTP      `toml:"ftp"`
	WebDAV       WebDAV   `toml:"webdav"`
	Web          Web      `toml:"web"`
	Admin        Admin    `toml:"admin"`
	Defender     Defender `toml:"defender"`
	Limits       Limits   `toml:"limits"`
	Storage      Storage  `toml:"storage"`
	Hooks        []Hook   `toml:"hooks"`
	Backup       Backup   `toml:"backup"`
	Notify       Notify   `toml:"notify"`

	ProxyProtocol ProxyProtocol `toml:"proxy_protocol"` // several gateways behind one load balancer

	Antivirus Antivirus `toml:"antivirus"` // clamd scans every upload before it is visible
}

// TLS names the certificate that FTPS and WebDAV (and later the admin
// API) serve. Both empty: a self-signed one is generated in <data>/keys.
type TLS struct {
	Cert string `toml:"cert"` // PEM certificate chain file
	Key  string `toml:"key"`  // PEM private key file
}

// FTP TLS modes.
const (
	TLSRequired = "required" // AUTH TLS before login, PROT P for data
	TLSOptional = "optional" // clients choose: passwords may cross in clear text
	TLSOff      = "off"      // no TLS at all
)

// FTP configures the FTPS front end.
type FTP struct {
	Listen         string `toml:"listen"`          // explicit FTPS (AUTH TLS): host:port or "off"
	ImplicitListen string `toml:"implicit_listen"` // implicit FTPS (TLS from the first byte): host:port or "off"
	TLS            string `toml:"tls"`             // required, optional or off
	PassivePorts   string `toml:"passive_ports"`   // e.g. 30000-30099; empty: any free port
	// PublicPassivePorts are the ports PASV and EPSV announce for
	// passive_ports, in order and as many: for a balancer that forwards
	// other ports to them; empty: passive_ports themselves.
	PublicPassivePorts string   `toml:"public_passive_ports"`
	PublicHost         string   `toml:"public_host"`  // IPv4 address announced in PASV replies (NAT); empty: the top-level public_host if IPv4, else the one the client reached
	ActiveMode         bool     `toml:"active_mode"`  // allow PORT/EPRT, only towards the client's own address
	IdleTimeout        Duration `toml:"idle_timeout"` // close a control connection idle this long
}

// WebDAV configures the WebDAV front end (mapped drives).
type WebDAV struct {
	Listen       string   `toml:"listen"`        // HTTPS: host:port or "off"
	TLS          string   `toml:"tls"`           // on, or off behind a TLS-terminating reverse proxy
	DesktopFiles string   `toml:"desktop_files"` // desktop.ini, Thumbs.db, .DS_Store, ._*: discard, refuse or store
	ReadTimeout  Duration `toml:"read_timeout"`  // headers, and each wait for body bytes
}

// WebDAV desktop-file policies.
const (
	DesktopDiscard = "discard" // answer as stored, store nothing
	DesktopRefuse  = "refuse"  // 403
	DesktopStore   = "store"   // like any other file
)

// Limits bound what strangers and users can take: connections over every
// protocol, logins, password checks and open files (see limits.go); 0 is
// no limit unless a key says otherwise.
type Limits struct {
	MaxConnections      int `toml:"max_connections"`        // in all
	MaxConnectionsPerIP int `toml:"max_connections_per_ip"` // from one IP address (IPv6: one /64)
	// Connections not logged in yet; 0: a quarter of max_connections.
	MaxUnauthenticated int `toml:"max_unauthenticated"`
	// Connections not logged in yet from one address; 0: half of
	// max_connections_per_ip (at least 1).
	MaxUnauthenticatedPerIP int      `toml:"max_unauthenticated_per_ip"`
	LoginTimeout            Duration `toml:"login_timeout"`              // a connection not logged in this long is closed (every protocol)
	MaxOpenFilesPerSession  int      `toml:"max_open_files_per_session"` // SFTP handles one session holds open
	MaxOpenFilesPerUser     int      `toml:"max_open_files_per_user"`    // SFTP handles all of a user's sessions hold open
	PasswordChecks          int      `toml:"password_checks"`            // argon2id checks at once; 0: sized from memory
	PasswordWait            Duration `toml:"password_wait"`              // how long a login waits for a check slot before it fails
}

// SFTP configures the SFTP front end.
type SFTP struct {
	Listen       string   `toml:"listen"`         // host:port or "off"
	HostKey      string   `toml:"host_key"`       // ed25519 private key file; generated in <data>/keys when empty
	IdleTimeout  Duration `toml:"idle_timeout"`   // close a connection idle this long
	LoginTimeout Duration `toml:"login_timeout"`  // handshake and login must finish within it (limits.login_timeout closes first when shorter)
	MaxAuthTries int      `toml:"max_auth_tries"` // authentication attempts per connection
	// LegacyClients adds AES-CTR with SHA-2 MACs for clients built on
	// libssh2 < 1.11 (curl on Debian 12), which lack AES-GCM and
	// chacha20-poly1305. Never CBC, never SHA-1.
	LegacyClients bool `toml:"legacy_clients"`
}

// Admin configures the admin API.
type Admin struct {
	Listen   string   `toml:"listen"`    // host:port or "off"; TLS unless on loopback
	TokenTTL Duration `toml:"token_ttl"` // how long a login's bearer token lives
}

// Defender configures the ban on repeated failed logins.
type Defender struct {
	Enabled     bool     `toml:"enabled"`
	MaxFailures int      `toml:"max_failures"` // failures within window that ban an address
	Window      Duration `toml:"window"`
	BanTime     Duration `toml:"ban_time"`
}

// Duration is a time.Duration written as "15m", "30s".
type Duration struct{ time.Duration }

// UnmarshalText parses a duration.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration like 30s or 15m", string(b))
	}
	d.Duration = v
	return nil
}

// MarshalText prints a duration.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		DataDir:      "./custodia-data",
		Organization: "custodia",
		Departments:  []string{"operaciones", "comercializacion", "trafico", "administracion", "recursos-humanos"},
		LogLevel:     "info",
		LogFormat:    "text",
		SFTP: SFTP{
			Listen: ":2022", IdleTimeout: Duration{15 * time.Minute},
			LoginTimeout: Duration{30 * time.Second}, MaxAuthTries: 3,
		},
		FTP: FTP{
			Listen: ":2121", ImplicitListen: Off, TLS: TLSRequired, IdleTimeout: Duration{15 * time.Minute},
		},
		WebDAV:   WebDAV{Listen: ":8443", TLS: "on", DesktopFiles: DesktopDiscard, ReadTimeout: Duration{30 * time.Second}},
		Web:      defaultWeb(),
		Admin:    Admin{Listen: "127.0.0.1:8080", TokenTTL: Duration{time.Hour}},
		Defender: Defender{Enabled: true, MaxFailures: 5, Window: Duration{5 * time.Minute}, BanTime: Duration{15 * time.Minute}},
		Limits: Limits{MaxConnections: 500, MaxConnectionsPerIP: 20, LoginTimeout: Duration{30 * time.Second},
			MaxOpenFilesPerSession: 64, MaxOpenFilesPerUser: 256, PasswordWait: Duration{3 * time.Second}},
		Backup:  Backup{RestoreGrantTTL: Duration{30 * 24 * time.Hour}, ApproverMinAge: Duration{7 * 24 * time.Hour}},
		Storage: defaultStorage(),
		Notify:  Notify{Interval: Duration{15 * time.Minute}},

		ProxyProtocol: defaultProxyProtocol(),

		Antivirus: defaultAntivirus(),
	}
}

// Problem is one thing wrong with the configuration.
type Problem struct {
	Key string // e.g. sftp.listen
	Msg string
}

func (p Problem) String() string {
	if p.Key == "hooks" || strings.HasPrefix(p.Key, "hooks[") || strings.HasPrefix(p.Key, "backup.jobs") || p.Key == "config" { // set in the file only
		return fmt.Sprintf("%s: %s", p.Key, p.Msg)
	}
	return fmt.Sprintf("%s (%s): %s", p.Key, EnvName(p.Key), p.Msg)
}

// Problems is every problem found; it is an error.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// EnvName is the environment variable of a key.
func EnvName(key string) string {
	return "CUSTODIA_" + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(key))
}

// Load reads the file (none when file is ""), applies the environment
// (environ as from os.Environ) over it, and validates the result. It
// reports every problem at once.
func Load(file string, environ []string) (Config, error) {
	c := Default()
	var ps Problems
	var md toml.MetaData
	if file != "" {
		md, ps = decodeFile(file, &c)
		if len(ps) == 1 && ps[0].Key == "config" { // not TOML: nothing more to check
			return c, ps
		}
	}
	ps = append(ps, c.mergeJobs(md)...)
	if file != "" {
		ps = append(ps, undecoded(md, ps)...)
	}
	ps = append(ps, applyEnv(&c, environ)...)
	ps = append(ps, c.Validate()...)
	sortProblems(ps)
	if len(ps) > 0 {
		return c, ps
	}
	return c, nil
}

// Validate checks every key and returns all problems.
func (c Config) Validate() Problems {
	var ps Problems
	ps = append(ps, c.validateBasics()...)
	ps = append(ps, c.validateDatabase()...)
	ps = append(ps, c.validateServers()...)
	ps = append(ps, c.validateTLS()...)
	ps = append(ps, c.validateFTP()...)
	ps = append(ps, c.validateHooks()...)
	ps = append(ps, c.validateBackup()...)
	ps = append(ps, c.validateWebDAV()...)
	ps = append(ps, c.validateWeb()...)
	ps = append(ps, c.validateLimits()...)
	ps = append(ps, c.validateStorage()...)
	ps = append(ps, c.validatePublicHost()...)
	ps = append(ps, c.validateAntivirus()...)
	ps = append(ps, c.validateNotify()...)
	ps = append(ps, c.ProxyProtocol.validate()...)
	sortProblems(ps)
	return ps
}

// validateBasics checks the data dir, the organization, the departments
// and the log settings.
func (c Config) validateBasics() Problems {
	var ps Problems
	add := func(key, format string, a ...any) { ps = append(ps, Problem{key, fmt.Sprintf(format, a...)}) }
	if strings.TrimSpace(c.DataDir) == "" {
		add("data_dir", "must not be empty")
	}
	if strings.TrimSpace(c.Organization) == "" {
		add("organization", "must not be empty: credential letters name it")
	}
	if len(c.Departments) == 0 {
		add("departments", "at least one department is needed")
	}
	seen := map[string]bool{}
	for _, d := range c.Departments {
		if !validDepartment(d) {
			add("departments", "%q: use lower-case letters, digits and '-', starting with a letter", d)
		}
		if seen[d] {
			add("departments", "%q is listed twice", d)
		}
		seen[d] = true
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		add("log_level", "%q: want debug, info, warn or error", c.LogLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		add("log_format", "%q: want text or json", c.LogFormat)
	}
	return ps
}

// validateServers checks the listen addresses, the SFTP server's host
// key, timeouts and tries, and the admin API's token lifetime.
func (c Config) validateServers() Problems {
	var ps Problems
	add := func(key, format string, a ...any) { ps = append(ps, Problem{key, fmt.Sprintf(format, a...)}) }
	for key, v := range map[string]string{
		"sftp.listen": c.SFTP.Listen, "ftp.listen": c.FTP.Listen, "ftp.implicit_listen": c.FTP.ImplicitListen,
		"webdav.listen": c.WebDAV.Listen, "admin.listen": c.Admin.Listen,
	} {
		if err := checkListen(v); err != nil {
			add(key, "%v", err)
		}
	}
	if c.SFTP.HostKey != "" {
		if _, err := os.Stat(c.SFTP.HostKey); err != nil {
			add("sftp.host_key", "%q cannot be read", c.SFTP.HostKey)
		}
	}
	ps = append(ps, positive("sftp.idle_timeout", c.SFTP.IdleTimeout)...)
	ps = append(ps, positive("sftp.login_timeout", c.SFTP.LoginTimeout)...)
	ps = append(ps, positive("admin.token_ttl", c.Admin.TokenTTL)...)
	if c.SFTP.MaxAuthTries < 1 || c.SFTP.MaxAuthTries > 20 {
		add("sftp.max_auth_tries", "%d: want 1 to 20", c.SFTP.MaxAuthTries)
	}
	return ps
}

// validateWebDAV checks the WebDAV server's TLS switch and desktop-file
// policy.
func (c Config) validateWebDAV() Problems {
	var ps Problems
	add := func(key, format string, a ...any) { ps = append(ps, Problem{key, fmt.Sprintf(format, a...)}) }
	ps = append(ps, positive("webdav.read_timeout", c.WebDAV.ReadTimeout)...)
	if c.WebDAV.TLS != "on" && c.WebDAV.TLS != TLSOff {
		add("webdav.tls", "%q: want on or off", c.WebDAV.TLS)
	}
	switch c.WebDAV.DesktopFiles {
	case DesktopDiscard, DesktopRefuse, DesktopStore:
	default:
		add("webdav.desktop_files", "%q: want discard, refuse or store", c.WebDAV.DesktopFiles)
	}
	return ps
}

// validateLimits checks the connection limits and the defender.
func (c Config) validateLimits() Problems {
	var ps Problems
	add := func(key, format string, a ...any) { ps = append(ps, Problem{key, fmt.Sprintf(format, a...)}) }
	if c.Limits.MaxConnections < 0 {
		add("limits.max_connections", "%d: want 0 (no limit) or more", c.Limits.MaxConnections)
	}
	if c.Limits.MaxConnectionsPerIP < 0 {
		add("limits.max_connections_per_ip", "%d: want 0 (no limit) or more", c.Limits.MaxConnectionsPerIP)
	}
	ps = append(ps, c.Limits.validate()...)
	if c.Defender.Enabled {
		if c.Defender.MaxFailures < 1 {
			add("defender.max_failures", "%d: want at least 1", c.Defender.MaxFailures)
		}
		ps = append(ps, positive("defender.window", c.Defender.Window)...)
		ps = append(ps, positive("defender.ban_time", c.Defender.BanTime)...)
	}
	return ps
}

// positive is the problem of a duration that is not positive, if it is not.
func positive(key string, d Duration) Problems {
	if d.Duration <= 0 {
		return Problems{{key, "must be a positive duration"}}
	}
	return nil
}

func sortProblems(ps Problems) {
	slices.SortStableFunc(ps, func(a, b Problem) int { return strings.Compare(a.Key, b.Key) })
}

func validDepartment(d string) bool {
	if d == "" || len(d) > 64 || d[0] < 'a' || d[0] > 'z' {
		return false
	}
	for _, r := range d {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

func checkListen(v string) error {
	if v == Off {
		return nil
	}
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return fmt.Errorf("%q: want host:port (e.g. :2022, 127.0.0.1:2022) or off", v)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q: port must be a number from 0 to 65535", v)
	}
	if host != "" && net.ParseIP(strings.Trim(host, "[]")) == nil && strings.ContainsAny(host, " /") {
		return fmt.Errorf("%q: bad host", v)
	}
	return nil
}

// Enabled reports whether a listen value turns the listener on.
func Enabled(listen string) bool { return listen != Off }

// DBFile is the SQLite database of the data dir.
func (c Config) DBFile() string { return filepath.Join(c.DataDir, "custodia.db") }

// FilesDir is the files/ tree of the data dir.
func (c Config) FilesDir() string { return filepath.Join(c.DataDir, "files") }

// KeysDir holds the host key and, later, TLS material.
func (c Config) KeysDir() string { return filepath.Join(c.DataDir, "keys") }
