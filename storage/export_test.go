package storage

// SetTrace makes f report each durability step of an upload to fn.
func SetTrace(f *Files, fn func(step, name string)) { f.trace = fn }
