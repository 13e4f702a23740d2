package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// within reports whether dir is inner itself or a folder below it, on
// disk: both are made absolute and their symlinks resolved (as far as
// they exist yet), so neither a relative path, a "..", nor a symlink
// hides that one is inside the other.
func within(inner, dir string) (bool, error) {
	a, err := realPath(inner)
	if err != nil {
		return false, err
	}
	b, err := realPath(dir)
	if err != nil {
		return false, err
	}
	rel, err := filepath.Rel(a, b)
	if err != nil {
		return false, nil // different volumes
	}
	return rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))), nil
}

// realPath is p absolute with its symlinks resolved, one component at a
// time, so that a ".." after a symlink goes up from where the link points,
// as the system would; the part that does not exist yet is appended as
// is.
func realPath(p string) (string, error) {
	if !filepath.IsAbs(p) {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		p = wd + string(filepath.Separator) + p
	}
	parts := strings.Split(p, string(filepath.Separator))
	cur := string(filepath.Separator)
	for i, part := range parts {
		if part == "" || part == "." {
			continue
		}
		// cur has no symlinks left, so joining ".." to it is exact.
		real, err := filepath.EvalSymlinks(filepath.Join(cur, part))
		if errors.Is(err, fs.ErrNotExist) {
			return filepath.Join(cur, filepath.Join(parts[i:]...)), nil
		}
		if err != nil {
			return "", err
		}
		cur = real
	}
	return cur, nil
}
