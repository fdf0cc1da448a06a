// Package crashtest holds the ledger's crash-safety test: a child process
// writes transfers and is killed with SIGKILL at random moments, again and
// again, on the same database; after each kill the test checks that every
// transfer the child was told had committed is stored whole and that
// ledger.Verify still passes. The package has no code of its own; see
// crash_test.go.
package crashtest
