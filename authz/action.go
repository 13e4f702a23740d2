// Package authz decides whether a user may perform an action on a storage
// path. The Casbin model is code (model.conf, embedded); the rules are data
// kept in the store, seeded with defaults for the six roles on first start.
package authz

import (
	"fmt"
	"strings"
)

// Action is one of the seven things a user can do to a path.
type Action string

// The actions of the model.
const (
	List      Action = "list"
	Read      Action = "read"
	Write     Action = "write"     // create a new file
	Overwrite Action = "overwrite" // replace an existing file
	Delete    Action = "delete"
	Rename    Action = "rename" // checked on both the old and the new path
	Mkdir     Action = "mkdir"
)

// Actions lists every action in a stable order.
func Actions() []Action { return []Action{List, Read, Write, Overwrite, Delete, Rename, Mkdir} }

// ParseAction validates an action name.
func ParseAction(s string) (Action, error) {
	for _, a := range Actions() {
		if string(a) == s {
			return a, nil
		}
	}
	return "", fmt.Errorf("unknown action %q (want one of list, read, write, overwrite, delete, rename, mkdir)", s)
}

// actionMatch reports whether the request action is in a rule's "|"-list.
func actionMatch(act, ruleActs string) bool {
	if ruleActs == "*" {
		return true
	}
	for ruleActs != "" {
		var a string
		a, ruleActs, _ = strings.Cut(ruleActs, "|")
		if a == act {
			return true
		}
	}
	return false
}
