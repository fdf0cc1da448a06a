package auth

import (
	"context"
	"strings"
)

// Hooks for the external tests in package auth_test.

// ParsePHC parses a PHC string and formats it back.
func ParsePHC(s string) (string, error) {
	p, err := parsePHC(s)
	if err != nil {
		return "", err
	}
	return formatPHC(p), nil
}

// CommonPasswordLines returns the entries of the embedded list, comments
// left out.
func CommonPasswordLines() []string {
	var out []string
	for line := range strings.Lines(commonPasswordsText) {
		line = strings.TrimRight(line, "\r\n")
		if line != "" && line[0] != '#' {
			out = append(out, line)
		}
	}
	return out
}

// Hold takes one slot of h until release is called.
func (h *Hasher) Hold() (release func()) {
	if err := h.acquire(context.Background()); err != nil {
		panic(err)
	}
	return h.release
}
