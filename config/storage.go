package config

import (
	"fmt"
	"strconv"
	"strings"
)

// Storage bounds what uploads may take.
type Storage struct {
	// MinFree is the reserve of the data dir's filesystem that uploads
	// may not take: a share ("5%") or a size ("2GiB"); "0" for none.
	MinFree     string      `toml:"min_free"`
	MaxFileSize MaxFileSize `toml:"max_file_size"`
	// Backend is where the files live: "local" (the data dir) or "s3"
	// (an S3-compatible bucket, S3); uploads are received in the data
	// dir either way.
	Backend string    `toml:"backend"`
	S3      StorageS3 `toml:"s3"`
}

// MaxFileSize is the largest file each role may upload, as a size
// ("256MiB"); "0" is no limit, "" (a role's) takes Default.
type MaxFileSize struct {
	Default       string `toml:"default"`
	Client        string `toml:"client"`
	Correspondent string `toml:"correspondent"`
	Staff         string `toml:"staff"`
	Manager       string `toml:"manager"`
	Publisher     string `toml:"publisher"`
	Admin         string `toml:"admin"`
}

// defaultStorage suits the brokerage: clients, correspondents and the
// publisher move PDFs and office files; staff and managers, who also keep
// scans and archives, fall back to Default.
func defaultStorage() Storage {
	return Storage{Backend: "local", S3: StorageS3{Times: TimesIgnore}, MinFree: "5%", MaxFileSize: MaxFileSize{
		Default: "4GiB", Client: "256MiB", Correspondent: "256MiB", Publisher: "256MiB",
	}}
}

// roles lists the per-role keys and their values.
func (m MaxFileSize) roles() map[string]string {
	return map[string]string{
		"client": m.Client, "correspondent": m.Correspondent, "staff": m.Staff,
		"manager": m.Manager, "publisher": m.Publisher, "admin": m.Admin,
	}
}

// For is the largest file a role may upload in bytes, 0 for no limit.
// Call it on a validated configuration.
func (m MaxFileSize) For(role string) int64 {
	v := m.roles()[role]
	if v == "" {
		v = m.Default
	}
	n, _ := ParseSize(v)
	return n
}

// MinFreeReserve is the reserve as a size in bytes or a percentage (one
// of them 0). Call it on a validated configuration.
func (s Storage) MinFreeReserve() (bytes int64, percent float64) {
	if p, ok := strings.CutSuffix(strings.TrimSpace(s.MinFree), "%"); ok {
		f, _ := strconv.ParseFloat(strings.TrimSpace(p), 64)
		return 0, f
	}
	n, _ := ParseSize(s.MinFree)
	return n, 0
}

// ParseSize reads a size: a whole number of bytes, optionally followed by
// B, KiB, MiB, GiB, TiB (powers of 1024) or KB, MB, GB, TB (of 1000).
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1},
	}
	mult := int64(1)
	for _, u := range units {
		if n, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a size like 256MiB, 2GiB or 1000000", s)
	}
	return n * mult, nil
}

// validateStorage checks the reserve and the maximum file sizes.
func (c Config) validateStorage() Problems {
	var ps Problems
	if p, ok := strings.CutSuffix(strings.TrimSpace(c.Storage.MinFree), "%"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || f < 0 || f >= 100 {
			ps = append(ps, Problem{"storage.min_free", fmt.Sprintf("%q: want a share from 0%% to under 100%%, or a size like 2GiB", c.Storage.MinFree)})
		}
	} else if _, err := ParseSize(c.Storage.MinFree); err != nil {
		ps = append(ps, Problem{"storage.min_free", err.Error() + ", or a share like 5%"})
	}
	if _, err := ParseSize(c.Storage.MaxFileSize.Default); err != nil {
		ps = append(ps, Problem{"storage.max_file_size.default", err.Error()})
	}
	for role, v := range c.Storage.MaxFileSize.roles() {
		if v == "" {
			continue
		}
		if _, err := ParseSize(v); err != nil {
			ps = append(ps, Problem{"storage.max_file_size." + role, err.Error() + ` ("" takes the default)`})
		}
	}
	return append(ps, c.Storage.validateS3()...)
}
