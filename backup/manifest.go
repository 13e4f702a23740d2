// Package backup runs the backup jobs of the configuration: it writes
// compressed archives encrypted with age to the configured recipients,
// each with a manifest of every file's size, sha256 and mtime, onto a
// local folder and an off-site SFTP server; it applies retention, verifies
// archives with an identity the gateway never holds, and restores a backup
// into a fresh folder once a manager approved the request.
package backup

import (
	"fmt"
	"path"
	"strings"
	"time"
)

// Kinds of backup.
const (
	Full        = "full"
	Incremental = "incremental"
)

// manifestName is the archive's last entry. Every other entry is a
// storage path without its leading "/" (or custodia.db), so it cannot
// clash.
const manifestName = "MANIFEST.json"

// deletedName is the archive's first entry: the manifest's Deleted list,
// which a restore applies before it writes the files.
const deletedName = "DELETED.json"

// Manifest describes an archive's content.
type Manifest struct {
	Version    int       `json:"version"`
	ID         string    `json:"id"`
	Job        string    `json:"job"`
	Kind       string    `json:"kind"`
	Base       string    `json:"base,omitempty"` // the backup an incremental applies over
	Source     string    `json:"source"`
	Created    time.Time `json:"created"`
	ThroughSeq int64     `json:"through_seq"`
	Entries    []Entry   `json:"entries"`
	// Deleted are storage paths removed since the base (incrementals):
	// a restore removes them, with what lies below, before it writes
	// the entries.
	Deleted []string `json:"deleted,omitempty"`
}

// Entry is one file or folder of an archive.
type Entry struct {
	Path   string    `json:"path"` // storage path, e.g. /dossiers/ACME/2026/a.pdf
	Dir    bool      `json:"dir,omitempty"`
	Size   int64     `json:"size"`
	SHA256 string    `json:"sha256,omitempty"`
	MTime  time.Time `json:"mtime"`
}

// tarName is an entry's name inside the archive.
func tarName(storagePath string) string { return strings.TrimPrefix(storagePath, "/") }

// checkStoragePath refuses a path that is not clean and absolute, so that
// nothing read from an archive can point outside the restore folder.
func checkStoragePath(p string) error {
	if !strings.HasPrefix(p, "/") || path.Clean(p) != p || p == "/" || strings.ContainsRune(p, 0) {
		return fmt.Errorf("backup: bad path %q in archive", p)
	}
	return nil
}

// under reports whether p is prefix or lies below it.
func under(p, prefix string) bool {
	return prefix == "/" || p == prefix || strings.HasPrefix(p, prefix+"/")
}

// Totals counts the manifest's files and their bytes.
func (m Manifest) Totals() (files, bytes int64) {
	for _, e := range m.Entries {
		if !e.Dir {
			files++
			bytes += e.Size
		}
	}
	return files, bytes
}
