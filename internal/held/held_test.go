package held

import (
	"fmt"
	"strings"
	"testing"
)

func TestLinkForgeryRefused(t *testing.T) {
	dir := t.TempDir()
	l, err := LoadLinks(dir, "https://dl.example.lg.jp/")
	if err != nil {
		t.Fatal(err)
	}
	id := "20261203T124100Z-1f2e3d4c5b6a7988"
	tok := l.Token(id)
	if got, ok := l.Item(tok); !ok || got != id {
		t.Fatalf("Item(own token) = %q, %v", got, ok)
	}
	if u := l.URL(id); u != "https://dl.example.lg.jp/held/"+tok {
		t.Fatalf("URL = %q", u)
	}
	// The same key is read again at the next start.
	l2, err := LoadLinks(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := l2.Item(tok); !ok {
		t.Fatal("a token is refused after a restart")
	}
	if l2.URL(id) != "" {
		t.Fatal("a link without a download site")
	}
	other, _ := LoadLinks(t.TempDir(), "")
	sum := tok[strings.IndexByte(tok, '.')+1:]
	for name, forged := range map[string]string{
		"other key":       other.Token(id),
		"other item":      "20261203T124100Z-0000000000000000." + sum,
		"no mac":          id,
		"empty mac":       id + ".",
		"flipped":         flipLast(tok),
		"path":            "../x." + sum,
		"not base64":      id + ".!!!",
		"empty":           "",
		"truncated mac":   tok[:len(tok)-4],
		"extra character": tok + "A",
	} {
		if _, ok := l.Item(forged); ok {
			t.Errorf("%s: forged token %q accepted", name, forged)
		}
	}
}

func TestIsRecipient(t *testing.T) {
	rcpts := []string{"Tanaka@city.example.lg.jp", `"sato"@city.example.lg.jp`}
	for _, tc := range []struct{ user, want string }{
		{"tanaka", "Tanaka@city.example.lg.jp"},
		{"tanaka@city.example.lg.jp", "Tanaka@city.example.lg.jp"},
		{"sato", `"sato"@city.example.lg.jp`},
		{"suzuki", ""},
		{"", ""},
		{"city.example.lg.jp", ""},
	} {
		if got := IsRecipient(tc.user, rcpts); got != tc.want {
			t.Errorf("IsRecipient(%q) = %q, want %q", tc.user, got, tc.want)
		}
	}
}

// flipLast changes a token's last character to another base64 one.
func flipLast(tok string) string {
	last := "A"
	if tok[len(tok)-1] == 'A' {
		last = "B"
	}
	return tok[:len(tok)-1] + last
}

// TestTokenHasOneSpelling: a token whose last character differs only in
// the bits base64 leaves unused is refused; without the strict decoding
// one in sixteen items had a second spelling of its link.
func TestTokenHasOneSpelling(t *testing.T) {
	l, err := LoadLinks(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for n := range 64 {
		id := fmt.Sprintf("20261207T020000Z-%016x", n)
		tok := l.Token(id)
		last := strings.IndexByte(alphabet, tok[len(tok)-1])
		if last&3 != 0 {
			t.Fatalf("token %q ends in a character with unused bits set", tok)
		}
		for pad := 1; pad < 4; pad++ {
			if _, ok := l.Item(tok[:len(tok)-1] + string(alphabet[last|pad])); ok {
				t.Fatalf("%s: a second spelling of its token is accepted", id)
			}
		}
	}
}
