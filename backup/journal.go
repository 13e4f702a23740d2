package backup

import (
	"context"

	"github.com/oaq/custodia/store"
)

// changes are what an incremental run takes from the event journal (the
// outbox): the storage paths written or made, and those removed.
type changes struct {
	changed  map[string]bool
	deleted  map[string]bool
	needFull bool // the journal cannot say where something went
}

// journal reads the events after seq up to through that touch source.
func journal(ctx context.Context, st *store.Store, source string, after, through int64) (changes, error) {
	c := changes{changed: map[string]bool{}, deleted: map[string]bool{}}
	for after < through {
		evs, err := st.EventsAfter(ctx, after, 1000)
		if err != nil {
			return c, err
		}
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			if e.Seq > through {
				return c, nil
			}
			after = e.Seq
			switch e.Type {
			case store.EventUploadCompleted, store.EventMkdir:
				c.change(e.SPath, source)
			case store.EventDelete:
				c.remove(e.SPath, source)
			case store.EventRename:
				c.remove(e.SPath, source)
				if e.STarget == "" {
					c.needFull = true // a rename recorded before targets were
				}
				c.change(e.STarget, source)
			}
		}
	}
	return c, nil
}

// change records p as written; a folder above the source stands for the
// source itself (e.g. a parent renamed into place).
func (c *changes) change(p, source string) {
	switch {
	case p == "":
	case under(p, source):
		c.changed[p] = true
	case under(source, p):
		c.changed[source] = true
	}
}

// remove records p as gone; a folder above the source takes the source
// with it.
func (c *changes) remove(p, source string) {
	switch {
	case under(p, source):
		c.deleted[p] = true
	case under(source, p):
		c.deleted[source] = true
	}
}
