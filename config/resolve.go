package config

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
)

// DefaultFileName is the configuration file read from the data dir when
// neither --config nor CUSTODIA_CONFIG names one.
const DefaultFileName = "custodia.toml"

// Where is what names a configuration: the command line's --config and
// --data ("" when not given) and the environment (as os.Environ).
type Where struct {
	File    string
	DataDir string
	Environ []string
}

// Resolved is a configuration and where it came from.
type Resolved struct {
	Config
	File string   // the file read; "" for none
	Env  []string // the CUSTODIA_* variables that took part, sorted
}

// Resolve finds and loads the configuration every custodia command uses,
// the server and the management commands alike: the file is --config,
// else $CUSTODIA_CONFIG, else custodia.toml in the data dir when it
// exists (the data dir being --data, else $CUSTODIA_DATA_DIR, else the
// default; that file cannot move the data dir elsewhere). The
// environment applies over the file, and --data over both.
func Resolve(w Where) (Resolved, error) {
	env := slices.Clone(w.Environ)
	if w.DataDir != "" {
		env = append(env, "CUSTODIA_DATA_DIR="+w.DataDir)
	}
	file := w.File
	if file == "" {
		file = lookup(env, "CUSTODIA_CONFIG")
	}
	if file == "" {
		dir := lookup(env, "CUSTODIA_DATA_DIR")
		if dir == "" {
			dir = Default().DataDir
		}
		if fi, err := os.Stat(filepath.Join(dir, DefaultFileName)); err == nil && fi.Mode().IsRegular() {
			file = filepath.Join(dir, DefaultFileName)
			env = append(env, "CUSTODIA_DATA_DIR="+dir)
		}
	}
	cfg, err := Load(file, env)
	return Resolved{Config: cfg, File: file, Env: used(env)}, err
}

// lookup is the last value of name in environ, "" when absent.
func lookup(environ []string, name string) string {
	v := ""
	for _, kv := range environ {
		if s, ok := strings.CutPrefix(kv, name+"="); ok {
			v = s
		}
	}
	return v
}

// used lists the CUSTODIA_* variables of environ that name a key (or the
// file), sorted and without repeats.
func used(environ []string) []string {
	known := map[string]bool{"CUSTODIA_CONFIG": true}
	c := Default()
	walk(reflect.ValueOf(&c).Elem(), "", func(key string, _ reflect.Value) { known[EnvName(key)] = true })
	var out []string
	for _, kv := range environ {
		if k, _, ok := strings.Cut(kv, "="); ok && known[k] && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
