package sftp_test

import (
	"errors"
	"testing"

	gosftp "github.com/pkg/sftp"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/storage"
)

// TestSFTPAntivirusRefusalsSayWhyWithoutThePath: the antivirus's
// refusals at an upload's close are SSH_FX_FAILURE with their fixed
// texts, like every other answer mapped once: never the virtual path or
// a Go error's text.
func TestSFTPAntivirusRefusalsSayWhyWithoutThePath(t *testing.T) {
	t.Parallel()
	cd := testkit.StartClamd(t)
	tg := testkit.Start(t, cd.ClamdEnv())
	tg.Fixture()
	c := tg.SFTP("juan")
	check := func(what, vpath, content string, want error) {
		t.Helper()
		err := sftpPut(c, vpath, []byte(content))
		var se *gosftp.StatusError
		if !errors.As(err, &se) || se.FxCode() != gosftp.ErrSSHFxFailure || se.Error() != `sftp: "`+want.Error()+`" (SSH_FX_FAILURE)` {
			t.Errorf("%s: %v, want SSH_FX_FAILURE %q", what, err, want)
		}
	}
	check("an infected upload", "/ACME/2026/eicar.pdf", testkit.EICAR, storage.ErrInfected)
	cd.Stop()
	check("an upload with clamd down", "/ACME/2026/unscanned.pdf", "%PDF-1.4 x", storage.ErrNotScanned)
}
