package held

import (
	"strings"
	"testing"
	"time"
)

// followUp is a message as mugai rebuilds a follow-up mail: a text body
// in ISO-2022-JP ("パスワード：Kx7-pq29").
const followUp = "Subject: =?UTF-8?B?44OR44K544Ov44O844OJ?=\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n\r\n" +
	"\x1b$B%Q%9%o!<%I!'\x1b(BKx7-pq29\r\n"

func TestHintsFollowUpOfTheSameSenderAndRecipient(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	now := t0
	h := &Hints{Now: func() time.Time { return now }}
	h.Held("ppap", "sender@example.com", []string{"alice@lg.example.jp", "bob@lg.example.jp"}, t0)
	h.Held("ppap-bounce", "", []string{"alice@lg.example.jp"}, t0)
	for _, tc := range []struct {
		name, from string
		rcpts      []string
		at         time.Duration
	}{
		{"another sender", "other@example.com", []string{"alice@lg.example.jp"}, time.Minute},
		{"another recipient", "sender@example.com", []string{"carol@lg.example.jp"}, time.Minute},
		{"before the held mail", "sender@example.com", []string{"alice@lg.example.jp"}, -time.Minute},
		{"a bounce", "", []string{"alice@lg.example.jp"}, time.Minute},
	} {
		if n := h.FollowUp("f-"+tc.name, tc.from, tc.rcpts, t0.Add(tc.at), strings.NewReader(followUp)); n != 0 {
			t.Errorf("%s: %d hints kept", tc.name, n)
		}
	}
	now = t0.Add(5 * time.Minute)
	if n := h.FollowUp("f1", "Sender@Example.com", []string{"alice@lg.example.jp"}, now, strings.NewReader(followUp)); n != 1 {
		t.Fatalf("the follow-up kept %d hints, want 1", n)
	}
	hs := h.For("ppap", "Alice@lg.example.jp")
	if len(hs) != 1 || hs[0].Password != "Kx7-pq29" || hs[0].Subject != "パスワード" || hs[0].From != "Sender@Example.com" {
		t.Fatalf("alice's hints = %+v", hs)
	}
	if got := h.For("ppap", "bob@lg.example.jp"); len(got) != 0 {
		t.Errorf("bob, to whom the follow-up was not sent, is offered %d hints", len(got))
	}
	// The same follow-up processed again keeps no second copy.
	h.FollowUp("f1", "sender@example.com", []string{"alice@lg.example.jp"}, now, strings.NewReader(followUp))
	if got := h.For("ppap", "alice@lg.example.jp"); len(got) != 1 {
		t.Errorf("%d hints after the follow-up was processed again", len(got))
	}
	if _, ok := h.Take("ppap", "bob@lg.example.jp", hs[0].ID); ok {
		t.Error("bob takes alice's hint")
	}
	if got, ok := h.Take("ppap", "alice@lg.example.jp", hs[0].ID); !ok || got.Password != "Kx7-pq29" {
		t.Errorf("Take = %+v, %v", got, ok)
	}
	if got := h.For("ppap", "alice@lg.example.jp"); len(got) != 0 {
		t.Errorf("a tried hint is offered again: %+v", got)
	}
}

func TestHintsWindowAndLife(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	now := t0
	h := &Hints{Window: 30 * time.Minute, Life: 2 * time.Hour, Now: func() time.Time { return now }}
	h.Held("ppap", "sender@example.com", []string{"alice@lg.example.jp"}, t0)
	now = t0.Add(31 * time.Minute)
	if n := h.FollowUp("late", "sender@example.com", []string{"alice@lg.example.jp"}, now, strings.NewReader(followUp)); n != 0 {
		t.Errorf("a follow-up past the window kept %d hints", n)
	}
	h.Held("ppap2", "sender@example.com", []string{"alice@lg.example.jp"}, now)
	if n := h.FollowUp("f", "sender@example.com", []string{"alice@lg.example.jp"}, now.Add(time.Minute), strings.NewReader(followUp)); n != 1 {
		t.Fatalf("a follow-up in the window kept %d hints", n)
	}
	now = now.Add(3 * time.Hour)
	if got := h.For("ppap2", "alice@lg.example.jp"); len(got) != 0 {
		t.Errorf("a hint past its life: %+v", got)
	}
	if len(h.waiting) != 0 {
		t.Errorf("%d held mails remembered past the window", len(h.waiting))
	}
}

func TestHintsForgottenWhenOpened(t *testing.T) {
	h := &Hints{}
	now := time.Now()
	h.Held("ppap", "sender@example.com", []string{"alice@lg.example.jp"}, now)
	h.FollowUp("f", "sender@example.com", []string{"alice@lg.example.jp"}, now, strings.NewReader(followUp))
	h.Forget("ppap", "ALICE@lg.example.jp")
	if got := h.For("ppap", "alice@lg.example.jp"); len(got) != 0 {
		t.Errorf("hints after the item was opened: %+v", got)
	}
	var off *Hints
	if off.For("ppap", "alice@lg.example.jp") != nil {
		t.Error("no Hints offers something")
	}
}
