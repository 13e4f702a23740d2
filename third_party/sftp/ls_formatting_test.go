package sftp

import (
	"fmt"
	"os"
	"testing"
	"time"

	sshfx "github.com/pkg/sftp/internal/encoding/ssh/filexfer"
)

type lsInfo struct {
	name  string
	size  int64
	mode  os.FileMode
	mtime time.Time
	sys   any
}

func (i lsInfo) Name() string       { return i.name }
func (i lsInfo) Size() int64        { return i.size }
func (i lsInfo) Mode() os.FileMode  { return i.mode }
func (i lsInfo) ModTime() time.Time { return i.mtime }
func (i lsInfo) IsDir() bool        { return i.mode.IsDir() }
func (i lsInfo) Sys() any           { return i.sys }

type lsNames map[string]string

func (lsNames) Filelist(*Request) (ListerAt, error) { return nil, nil }
func (n lsNames) LookupUserName(uid string) string  { return n[uid] }
func (n lsNames) LookupGroupName(gid string) string { return n[gid] }

// TestRunLsIsSprintf: runLs, which formats without fmt, writes what its
// fmt.Sprintf form did, padding by runes as fmt does.
func TestRunLsIsSprintf(t *testing.T) {
	now := time.Now()
	names := lsNames{"0": "root", "7": "ñandú", "12": "ñandúñandú", "8": "", "9": "g"}
	for _, fi := range []lsInfo{
		{"a.pdf", 0, 0o644, now, &FileStat{UID: 0, GID: 0}},
		{"big.pdf", 123456789012, 0o600, now.AddDate(-3, 0, 0), &FileStat{UID: 7, GID: 8}},
		{"dir", 4096, os.ModeDir | 0o755, now.Add(-time.Hour), &FileStat{UID: 9, GID: 7}},
		{"ñandú ñandú.pdf", 12345678, os.ModeSymlink | 0o777, time.Date(12345, 1, 2, 3, 4, 5, 0, time.UTC), nil},
		{"", -1, 0, time.Time{}, &FileStat{UID: 4294967295, GID: 12}},
	} {
		for _, lookup := range []NameLookupFileLister{nil, names} {
			got := runLs(lookup, fi)
			want := sprintfLs(lookup, fi)
			if got != want {
				t.Errorf("runLs(%q) =\n\t%q\nwant\n\t%q", fi.name, got, want)
			}
		}
	}
}

// sprintfLs is runLs as it was, with fmt.Sprintf.
func sprintfLs(idLookup NameLookupFileLister, dirent os.FileInfo) string {
	symPerms := sshfx.FileMode(fromFileMode(dirent.Mode())).String()
	var numLinks uint64 = 1
	uid, gid := "0", "0"
	if sys, ok := dirent.Sys().(*FileStat); ok {
		uid, gid = lsFormatID(sys.UID), lsFormatID(sys.GID)
	} else {
		numLinks, uid, gid = lsLinksUIDGID(dirent)
	}
	if idLookup != nil {
		uid, gid = idLookup.LookupUserName(uid), idLookup.LookupGroupName(gid)
	}
	mtime := dirent.ModTime()
	date := mtime.Format("Jan 2")
	var yearOrTime string
	if mtime.Before(time.Now().AddDate(0, -6, 0)) {
		yearOrTime = mtime.Format("2006")
	} else {
		yearOrTime = mtime.Format("15:04")
	}
	return fmt.Sprintf("%s %4d %-8s %-8s %8d %s %5s %s", symPerms, numLinks, uid, gid, dirent.Size(), date, yearOrTime, dirent.Name())
}
