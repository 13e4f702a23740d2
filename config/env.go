package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// applyEnv sets every key whose CUSTODIA_ variable is present in environ.
func applyEnv(c *Config, environ []string) Problems {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "CUSTODIA_") {
			env[k] = v
		}
	}
	var ps Problems
	walk(reflect.ValueOf(c).Elem(), "", func(key string, f reflect.Value) {
		v, ok := env[EnvName(key)]
		if !ok {
			return
		}
		if err := set(f, v); err != nil {
			ps = append(ps, Problem{Key: key, Msg: err.Error()})
		}
	})
	return ps
}

// Keys lists every key with its current value, for docs and check-config.
func Keys(c Config) [][2]string {
	var out [][2]string
	walk(reflect.ValueOf(&c).Elem(), "", func(key string, f reflect.Value) {
		v := f.Interface()
		if d, ok := v.(Duration); ok {
			v = d.String()
		}
		if s, ok := v.([]string); ok {
			v = strings.Join(s, ",")
		}
		if hs, ok := v.([]Hook); ok { // names only: a webhook's secret is never printed
			names := make([]string, len(hs))
			for i, h := range hs {
				names[i] = h.Name
			}
			v = strings.Join(names, ",")
		}
		if (key == "notify.password" || key == "backup.s3.secret_key" || key == "storage.s3.secret_key") && v != "" { // never printed
			v = "(set)"
		}
		if key == "database.url" { // its password never printed
			v = c.Database.RedactedURL()
		}
		if _, ok := v.(map[string]toml.Primitive); ok { // backup.jobs: listed one by one below
			return
		}
		out = append(out, [2]string{key, fmt.Sprint(v)})
	})
	for _, name := range c.Backup.JobNames() {
		j := c.Backup.Jobs[name]
		out = append(out, [2]string{"backup.jobs." + name, fmt.Sprintf("source=%s full=%q incremental=%q keep_daily=%d keep_monthly=%d keep_yearly=%d",
			j.Source, j.Full, j.Incremental, j.KeepDaily, j.KeepMonthly, j.KeepYearly)})
	}
	return out
}

func walk(v reflect.Value, prefix string, fn func(key string, f reflect.Value)) {
	t := v.Type()
	for i := range t.NumField() {
		key := t.Field(i).Tag.Get("toml")
		if key == "-" {
			continue
		}
		if prefix != "" {
			key = prefix + "." + key
		}
		f := v.Field(i)
		if f.Kind() == reflect.Struct && f.Type() != reflect.TypeOf(Duration{}) {
			walk(f, key, fn)
			continue
		}
		fn(key, f)
	}
}

func set(f reflect.Value, s string) error {
	switch p := f.Addr().Interface().(type) {
	case *string:
		*p = s
	case *[]string:
		*p = nil
		for _, x := range strings.Split(s, ",") {
			if x = strings.TrimSpace(x); x != "" {
				*p = append(*p, x)
			}
		}
	case *int:
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", s)
		}
		*p = n
	case *bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		*p = b
	case *Duration:
		return p.UnmarshalText([]byte(s))
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}
