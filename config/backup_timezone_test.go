package config_test

import (
	"strings"
	"testing"

	"github.com/oaq/custodia/config"
)

// TestBackupTimeZone: backup.time_zone (CUSTODIA_BACKUP_TIME_ZONE) names
// the schedules' calendar, one for every gateway sharing a database;
// empty is the server's local time; a name that is not a zone is a
// problem naming the key.
func TestBackupTimeZone(t *testing.T) {
	t.Parallel()
	dir := "CUSTODIA_DATA_DIR=" + t.TempDir()
	c, err := config.Load("", []string{dir, "CUSTODIA_BACKUP_TIME_ZONE=America/Mexico_City"})
	if err != nil {
		t.Fatalf("a zone was refused: %v", err)
	}
	if loc, err := c.Backup.Location(); err != nil || loc.String() != "America/Mexico_City" {
		t.Errorf("Location() = %v, %v, want America/Mexico_City", loc, err)
	}
	c, err = config.Load("", []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if loc, err := c.Backup.Location(); err != nil || loc.String() != "Local" {
		t.Errorf("no zone: Location() = %v, %v, want Local", loc, err)
	}
	for _, bad := range []string{"Mars/Olympus_Mons", "UTC:00", "local", "../../etc/passwd"} {
		_, err := config.Load("", []string{dir, "CUSTODIA_BACKUP_TIME_ZONE=" + bad})
		if err == nil || !strings.Contains(err.Error(), "backup.time_zone") {
			t.Errorf("backup.time_zone %q: %v, want a problem naming the key", bad, err)
		}
	}
}
