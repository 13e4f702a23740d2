package storage

import (
	"path"
	"strings"
	"unicode/utf8"
)

// Limits on virtual paths.
const (
	maxPathLen = 4096
	MaxNameLen = 255 // bytes of one name: a front end may refuse a longer one before it reaches the view
)

// Path is a virtual path as a user sees it, clean by construction:
// absolute, no "." or ".." segments, no empty segments, no NUL, control
// characters or backslashes, valid UTF-8, and every name one that
// validName accepts (no invisible or bidirectional characters, no ':', no
// trailing dot or space, no Windows device name).
type Path struct{ s string }

// ParsePath cleans a path from a client once, at the edge. ".." cannot
// climb above "/", as in a chroot. A name that validName refuses is
// ErrBadName, for every operation: a file planted on disk under such a
// name (before this rule, or behind the gateway's back) is listed but can
// be neither read nor changed until an administrator renames it on disk.
func ParsePath(p string) (Path, error) {
	if len(p) > maxPathLen || !utf8.ValidString(p) {
		return Path{}, ErrInvalidPath
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return Path{}, ErrInvalidPath
		}
	}
	clean := path.Clean("/" + p)
	if clean != "/" {
		for _, seg := range strings.Split(clean[1:], "/") {
			if len(seg) > MaxNameLen {
				return Path{}, ErrInvalidPath
			}
			if !validName(seg) {
				return Path{}, ErrBadName
			}
		}
	}
	return Path{s: clean}, nil
}

// String returns the clean path, "/" for the root.
func (p Path) String() string {
	if p.s == "" {
		return "/"
	}
	return p.s
}

// IsRoot reports whether p is "/".
func (p Path) IsRoot() bool { return p.String() == "/" }

// Dir returns the parent; the parent of "/" is "/".
func (p Path) Dir() Path { return Path{s: path.Dir(p.String())} }

// Base returns the last name, "/" for the root.
func (p Path) Base() string { return path.Base(p.String()) }

// within reports whether p is prefix or below it, and the rest of p
// relative to prefix ("" when equal).
func (p Path) within(prefix string) (string, bool) {
	s := p.String()
	switch {
	case prefix == "/":
		return strings.TrimPrefix(s, "/"), true
	case s == prefix:
		return "", true
	case strings.HasPrefix(s, prefix+"/"):
		return s[len(prefix)+1:], true
	}
	return "", false
}
