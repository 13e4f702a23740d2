package sftp

import (
	"runtime"

	"golang.org/x/sys/cpu"
)

// An SSH client picks the cipher: the first of its own list that the
// server offers (RFC 4253 7.1), so the server's order decides nothing and
// only what it offers counts. OpenSSH's client lists
// chacha20-poly1305@openssh.com first. x/crypto implements ChaCha20 in
// assembly on arm64, ppc64le and s390x but in plain Go on amd64, where
// it cost custodia a third of its CPU per byte uploaded (8.8 ms of server
// CPU per MB against 5.2 with aes128-gcm, BenchmarkSSHClientUpload),
// while AES-GCM runs on AES-NI and PCLMULQDQ. So on such a CPU the
// default offer leaves ChaCha20 out and OpenSSH's client picks
// aes128-gcm; with legacy clients on it is offered again, for older
// clients that have it but not AES-GCM (older PuTTY and WinSCP).
var gcmFast = runtime.GOARCH == "amd64" && cpu.X86.HasAES && cpu.X86.HasPCLMULQDQ

// ciphers returns the ciphers the server offers.
func ciphers(legacy bool) []string {
	c := []string{"aes128-gcm@openssh.com", "aes256-gcm@openssh.com"}
	if !gcmFast || legacy {
		c = append(c, "chacha20-poly1305@openssh.com")
	}
	if legacy {
		c = append(c, "aes128-ctr", "aes256-ctr")
	}
	return c
}
