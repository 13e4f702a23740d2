package web

import (
	"context"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/oaq/custodia/storage"
)

// A search walks the folder's tree through the view (so it sees exactly
// what a listing shows) and is bounded: it stops after maxWalked entries
// or maxResults matches, and says so.
const (
	maxResults = 200
	maxWalked  = 20000
	dateLayout = "2006-01-02"
)

// criteria is what a search looks for: a name substring (case-insensitive)
// and a modification date range, both ends included, either open.
type criteria struct {
	name     string
	from, to time.Time // zero: open
}

// parseCriteria reads the search form; false when a date is malformed.
func parseCriteria(q, from, to string) (criteria, bool) {
	c := criteria{name: strings.ToLower(q)}
	var err error
	if from != "" {
		if c.from, err = time.ParseInLocation(dateLayout, from, time.Local); err != nil {
			return c, false
		}
	}
	if to != "" {
		if c.to, err = time.ParseInLocation(dateLayout, to, time.Local); err != nil {
			return c, false
		}
		c.to = c.to.AddDate(0, 0, 1) // through the end of that day
	}
	return c, true
}

func (c criteria) match(fi fs.FileInfo) bool {
	if c.name != "" && !strings.Contains(strings.ToLower(fi.Name()), c.name) {
		return false
	}
	mt := fi.ModTime()
	if !c.from.IsZero() && mt.Before(c.from) {
		return false
	}
	if !c.to.IsZero() && !mt.Before(c.to) {
		return false
	}
	return true
}

// found is a file a search found, in the folder dir.
type found struct {
	dir  string
	info fs.FileInfo
}

// search walks the tree under root (whose entries the caller listed),
// breadth first, and returns the files that match, and whether it stopped
// at a bound.
func search(ctx context.Context, v *storage.View, root string, entries []fs.FileInfo, c criteria) ([]found, bool, error) {
	type folder struct {
		dir     string
		entries []fs.FileInfo
	}
	queue := []folder{{root, entries}}
	var out []found
	walked := 0
	for len(queue) > 0 {
		f := queue[0]
		queue = queue[1:]
		for _, e := range f.entries {
			walked++
			if walked > maxWalked {
				return out, true, nil
			}
			if e.IsDir() {
				continue
			}
			if c.match(e) {
				out = append(out, found{dir: f.dir, info: e})
				if len(out) >= maxResults {
					return out, true, nil
				}
			}
		}
		for _, e := range f.entries {
			if !e.IsDir() {
				continue
			}
			if err := ctx.Err(); err != nil {
				return nil, false, err
			}
			dir := path.Join(f.dir, e.Name())
			sub, err := v.ReadDir(ctx, dir)
			if err != nil {
				continue // gone or hidden since the parent was listed
			}
			queue = append(queue, folder{dir, sub})
		}
	}
	return out, false, nil
}
