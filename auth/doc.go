// Package auth holds the wallet's credential primitives: phone numbers,
// password and PIN hashing, session tokens, IDs and one-time codes.
//
// It is pure: no database, no HTTP, no logging. Callers store what it
// returns (hashes, never secrets) and map its sentinel errors to the API's
// error codes. No error it returns carries a password, PIN or code.
package auth
