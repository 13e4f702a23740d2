package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// FieldError is what is wrong with one field of a user's description; the
// CLI names the flag, the admin API the JSON field.
type FieldError struct {
	Field string // role, department, clients
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// CheckAssignments validates what a role is assigned: staff and managers
// one of the departments, clients and correspondents at least one existing
// client account, the other roles neither. It returns the client ids,
// normalized.
func (s *Store) CheckAssignments(ctx context.Context, role Role, dept string, clients, departments []string) ([]string, error) {
	bad := func(field, format string, a ...any) error {
		return &FieldError{Field: field, Msg: fmt.Sprintf(format, a...)}
	}
	switch {
	case role.HasDepartment() && dept == "":
		return nil, bad("department", "role %s needs a department (one of %s)", role, strings.Join(departments, ", "))
	case !role.HasDepartment() && dept != "":
		return nil, bad("department", "role %s has no department", role)
	case dept != "" && !slices.Contains(departments, dept):
		return nil, bad("department", "unknown department %q (want one of %s)", dept, strings.Join(departments, ", "))
	case role.HasClients() && len(clients) == 0:
		return nil, bad("clients", "role %s needs at least one client", role)
	case !role.HasClients() && len(clients) > 0:
		return nil, bad("clients", "role %s is not assigned clients", role)
	}
	var ids []string
	for _, c := range clients {
		id, err := NormalizeClientID(c)
		if err != nil {
			return nil, &FieldError{Field: "clients", Msg: err.Error()}
		}
		if _, err := s.ClientByID(ctx, id); err != nil {
			if errors.Is(err, ErrNotFound) {
				return nil, bad("clients", "unknown client %q (add it first with: custodia client add %s --name NAME)", id, id)
			}
			return nil, err
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// ValidUserName checks a new user's name: 1 to 64 letters, digits and
// . _ - @, starting with a letter or digit.
func ValidUserName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("user name %q: 1 to 64 characters", name)
	}
	for i, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			i > 0 && (r == '.' || r == '_' || r == '-' || r == '@')
		if !ok {
			return fmt.Errorf("user name %q: use letters, digits and . _ - @, starting with a letter or digit", name)
		}
	}
	return nil
}
