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
				if under(e.SPath, source) {
					c.changed[e.SPath] = true
				}
			case store.EventDelete:
				if under(e.SPath, source) {
					c.deleted[e.SPath] = true
				}
			case store.EventRename:
				if under(e.SPath, source) {
					c.deleted[e.SPath] = true
				}
				switch {
				case e.STarget == "":
					c.needFull = true // a rename recorded before targets were
				case under(e.STarget, source):
					c.changed[e.STarget] = true
				}
			}
		}
	}
	return c, nil
}
