package server_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
)

// lockedBuffer is a log sink the server may write from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServeLogsConfigWarnings: a setting that loads but cannot do what it
// says (an SFTP login timeout beyond the one every connection has) is
// logged when the gateway starts, not only by check-config.
func TestServeLogsConfigWarnings(t *testing.T) {
	t.Parallel()
	env := testkit.Env(t.TempDir(), "CUSTODIA_LOG_LEVEL=warn",
		"CUSTODIA_SFTP_LOGIN_TIMEOUT=2m", "CUSTODIA_LIMITS_LOGIN_TIMEOUT=30s")
	var logs lockedBuffer
	srv, err := testkit.StartServer(env, &logs)
	if err != nil {
		t.Fatal(err)
	}
	srv.Shutdown(context.Background())
	if !strings.Contains(logs.String(), "sftp.login_timeout") {
		t.Errorf("serve did not warn that sftp.login_timeout has no effect; its log:\n%s", logs.String())
	}
}
