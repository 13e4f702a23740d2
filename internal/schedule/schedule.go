// Package schedule parses the cron expressions of backup jobs, once, for
// both the configuration's check and the backup scheduler, so the two
// never disagree about what is a schedule.
package schedule

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// ErrNeverFires is the error of an expression no date matches.
var ErrNeverFires = errors.New("never fires (no such date)")

// Parse reads a standard five-field cron expression ("0 2 * * *", or a
// descriptor such as "@daily"). A time-zone prefix (TZ=…, CRON_TZ=…) is
// refused: schedules follow the server's calendar. So is an expression
// that never fires (30 February). It never panics: robfig/cron panics on
// some malformed input (issue #554, "TZ=UTC" alone), and that becomes an
// error.
func Parse(expr string) (s cron.Schedule, err error) {
	fields := strings.Fields(expr)
	if len(fields) > 0 && (strings.HasPrefix(fields[0], "TZ=") || strings.HasPrefix(fields[0], "CRON_TZ=")) {
		return nil, fmt.Errorf("a time zone (%s) is not supported: schedules run in the server's time zone; write the five fields only, e.g. \"0 2 * * *\"", fields[0])
	}
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("not a cron expression (%v)", r)
		}
	}()
	s, err = cron.ParseStandard(expr)
	if err != nil {
		return nil, err
	}
	if s.Next(time.Now()).IsZero() {
		return nil, ErrNeverFires
	}
	return s, nil
}
