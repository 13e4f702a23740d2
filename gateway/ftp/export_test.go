package ftp

// PassivePace is passivePace, for the tests of package ftp_test.
const PassivePace = passivePace
