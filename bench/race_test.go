//go:build race

package main

// raceFlags build the custodia the test runs with the race detector when
// the test has it: the packages are then in the build cache already.
var raceFlags = []string{"-race"}
