package config

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/BurntSushi/toml"
)

// decodeFile lays the file over c key by key, so that one key of the
// wrong type (a duration written as a number, a list as a string) is one
// problem naming that key and does not hide the others. A file that is
// not TOML at all is one problem.
func decodeFile(file string, c *Config) (toml.MetaData, Problems) {
	var top map[string]toml.Primitive
	md, err := toml.DecodeFile(file, &top)
	if err != nil {
		return md, Problems{{Key: "config", Msg: fmt.Sprintf("%s: %v", file, err)}}
	}
	return md, decodeTable(&md, top, reflect.ValueOf(c).Elem(), "")
}

// decodeTable decodes each key of a table into the field of v (a struct)
// with that toml tag; a nested struct is decoded key by key in turn. A key
// with no field is a problem.
func decodeTable(md *toml.MetaData, table map[string]toml.Primitive, v reflect.Value, prefix string) Problems {
	var ps Problems
	t := v.Type()
	known := map[string]bool{}
	for i := range t.NumField() {
		tag := t.Field(i).Tag.Get("toml")
		prim, ok := table[tag]
		if tag == "" || tag == "-" || !ok {
			continue
		}
		known[tag] = true
		key := prefix + tag
		f := v.Field(i)
		if f.Kind() == reflect.Struct && f.Type() != reflect.TypeOf(Duration{}) {
			var sub map[string]toml.Primitive
			if err := md.PrimitiveDecode(prim, &sub); err != nil {
				ps = append(ps, Problem{Key: key, Msg: "want a table ([" + key + "])"})
				continue
			}
			ps = append(ps, decodeTable(md, sub, f, key+".")...)
			continue
		}
		if err := md.PrimitiveDecode(prim, f.Addr().Interface()); err != nil {
			ps = append(ps, Problem{Key: key, Msg: typeMsg(f, err)})
		}
	}
	for k := range table {
		if !known[k] {
			ps = append(ps, Problem{Key: prefix + k, Msg: unknownKey})
		}
	}
	return ps
}

const unknownKey = "unknown key"

// undecoded reports the keys no field took inside what was decoded whole
// (a hook, a backup job), leaving out those under a key already reported
// unknown.
func undecoded(md toml.MetaData, found Problems) Problems {
	var ps Problems
	for _, k := range md.Undecoded() {
		key, covered := k.String(), false
		for _, p := range found {
			covered = covered || p.Msg == unknownKey && (key == p.Key || strings.HasPrefix(key, p.Key+"."))
		}
		if !covered {
			ps = append(ps, Problem{Key: key, Msg: unknownKey})
		}
	}
	return ps
}

// typeMsg says what a key of the wrong type should hold.
func typeMsg(f reflect.Value, err error) string {
	want := ""
	switch f.Interface().(type) {
	case Duration:
		want = `a duration in quotes, like "30s" or "15m"`
	case string:
		want = "a string in quotes"
	case []string:
		want = `a list of strings, like ["a", "b"]`
	case int:
		want = "a whole number"
	case bool:
		want = "true or false"
	}
	msg := strings.TrimPrefix(err.Error(), "toml: ")
	if want == "" {
		return msg
	}
	return "want " + want + ": " + msg
}
