// Package notify sends messages to people. SandboxSMS is the SMS gateway of
// `ewallet serve --dev`: it sends nothing and keeps an outbox.
package notify

import (
	"context"
	"slices"
	"sync"
	"time"
)

// maxOutbox bounds the sandbox outbox; the oldest messages go first.
const maxOutbox = 10000

// Message is one text message the sandbox sent.
type Message struct {
	To     string    `json:"to"`
	Text   string    `json:"text"`
	SentAt time.Time `json:"sent_at"`
}

// SandboxSMS keeps every message in memory instead of sending it.
type SandboxSMS struct {
	Now func() time.Time

	mu   sync.Mutex
	msgs []Message
}

// Send implements wallet.SMS.
func (s *SandboxSMS) Send(ctx context.Context, to, text string) error {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.msgs) >= maxOutbox {
		s.msgs = slices.Delete(s.msgs, 0, len(s.msgs)-maxOutbox+1)
	}
	s.msgs = append(s.msgs, Message{To: to, Text: text, SentAt: now().UTC()})
	return nil
}

// Messages lists the messages to phone (all when empty),
// newest first.
func (s *SandboxSMS) Messages(phone string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for i := len(s.msgs) - 1; i >= 0; i-- {
		if phone == "" || s.msgs[i].To == phone {
			out = append(out, s.msgs[i])
		}
	}
	return out
}

// LogSMS is the gateway outside --dev until a real one is configured: it
// refuses to pretend a message went out.
type LogSMS struct{}

// Send implements wallet.SMS.
func (LogSMS) Send(ctx context.Context, to, text string) error {
	return errNoGateway
}

type gatewayError struct{}

func (gatewayError) Error() string {
	return "no SMS gateway is configured (run with --dev for the sandbox)"
}

var errNoGateway error = gatewayError{}
