package account

import (
	"context"
	"errors"

	"github.com/oaq/custodia/store"
)

var errNegativeQuota = errors.New("a quota is 0 (no limit) or more")

// SetUserQuota sets a user's bytes and file-count quota (0: no limit).
// Unlike UpdateUser it ends no session: a quota binds the next upload.
func (s *Service) SetUserQuota(ctx context.Context, a Actor, name string, q store.Limit) (*store.User, error) {
	if q.Bytes < 0 || q.Files < 0 {
		return nil, errNegativeQuota
	}
	u, err := s.Store.UserByName(ctx, name)
	if err != nil {
		return nil, err
	}
	return s.change(a, "admin.user.quota", UserPath(u.Name), u.Quota, q).
		UpdateUser(ctx, u.Name, store.UserUpdate{Quota: &q})
}

// SetClientQuota sets a client account's bytes and file-count quota.
func (s *Service) SetClientQuota(ctx context.Context, a Actor, id string, q store.Limit) error {
	if q.Bytes < 0 || q.Files < 0 {
		return errNegativeQuota
	}
	c, err := s.Store.ClientByID(ctx, id)
	if err != nil {
		return err
	}
	return s.change(a, "admin.client.quota", "/api/v1/clients/"+id, c.Quota, q).SetClientQuota(ctx, id, q)
}
