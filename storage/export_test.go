package storage

// SetTrace makes f report each durability step of an upload to fn.
func SetTrace(f *Files, fn func(step, name string)) { f.trace = fn }

// SetCrash makes every upload through f stop after step, as a crash would.
func SetCrash(f *Files, step string) { f.crashAt = step }

// SyncDir makes the folder at rel in the files tree durable, as the view
// does after a change.
func SyncDir(f *Files, rel string) error { return syncDir(NewRootFs(f.root), rel) }
