package smtpproxy

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/internal/store"
	"github.com/mugai-project/mugai/sanitizer"
)

// heldItem is the one item in r's quarantine, with its report.
func heldItem(t *testing.T, r *Relay) (store.Item, sanitizer.Report) {
	t.Helper()
	items, err := r.quarantine.List(context.Background(), store.Filter{})
	if err != nil || len(items) != 1 {
		t.Fatalf("quarantine: %+v, %v", items, err)
	}
	var rep sanitizer.Report
	if err := json.Unmarshal(items[0].Report, &rep); err != nil {
		t.Fatal(err)
	}
	return items[0], rep
}

// TestKeptOriginalRecordsItsNotice: the original of each message is kept
// with its subject and, in its report, the notice its recipients read:
// the one at the top of the sanitized message, or the one sent instead
// of a withheld message.
func TestKeptOriginalRecordsItsNotice(t *testing.T) {
	t.Run("sanitized", func(t *testing.T) {
		r := startRelay(t, testOptions(t))
		msg := strings.Replace(simpleMessage, "Subject: hello", "Subject: =?UTF-8?B?5Lya6K2w44Gu44GK55+l44KJ44Gb?=", 1)
		if err := sendMail(t, r.Addr().String(), "sender@example.com", []string{"user@lg.example.jp"}, msg); err != nil {
			t.Fatal(err)
		}
		_, text := readMail(t, deliveredOne(t, r, "the message"))
		it, rep := heldItem(t, r)
		if it.Meta["subject"] != "会議のお知らせ" {
			t.Errorf("subject kept as %q", it.Meta["subject"])
		}
		notice := strings.ReplaceAll(strings.TrimSpace(rep.Notice), "\r\n", "\n")
		if notice == "" || !strings.HasPrefix(strings.ReplaceAll(text, "\r\n", "\n"), notice) {
			t.Errorf("the report's notice is not what the mail begins with:\n%s\n----\n%s", notice, text)
		}
	})
	t.Run("withheld", func(t *testing.T) {
		o := testOptions(t)
		timeOutSanitize(&o)
		r := startRelay(t, o)
		if err := sendMail(t, r.Addr().String(), "sender@example.com", []string{"user@lg.example.jp"}, simpleMessage); err != nil {
			t.Fatal(err)
		}
		_, text := readMail(t, deliveredOne(t, r, "the notice"))
		it, rep := heldItem(t, r)
		if it.Meta["subject"] != "hello" {
			t.Errorf("subject kept as %q", it.Meta["subject"])
		}
		if rep.Notice == "" || strings.ReplaceAll(text, "\r\n", "\n") != rep.Notice {
			t.Errorf("the report's notice is not the notice sent:\n%s\n----\n%s", rep.Notice, text)
		}
	})
}
