package ids

import (
	"encoding/base64"
	"regexp"
	"sort"
	"testing"
	"time"
)

func TestNewSortsByTime(t *testing.T) {
	base := time.Date(2026, 12, 3, 21, 41, 0, 0, time.FixedZone("JST", 9*3600))
	var got []string
	for i := range 50 {
		got = append(got, New(base.Add(time.Duration(49-i)*time.Second)))
	}
	if sort.StringsAreSorted(got) {
		t.Fatal("test setup: IDs made in reverse order came out sorted")
	}
	sort.Strings(got)
	for i := 1; i < len(got); i++ {
		if got[i][:16] <= got[i-1][:16] {
			t.Fatalf("%s sorts after %s", got[i-1], got[i])
		}
	}
	if want := "20261203T124100Z-"; got[0][:17] != want {
		t.Errorf("first ID %s: want the UTC time %s", got[0], want)
	}
}

func TestNewIsAFileName(t *testing.T) {
	re := regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{16}$`)
	seen := map[string]bool{}
	now := time.Now()
	for range 1000 {
		id := New(now)
		if !re.MatchString(id) {
			t.Fatalf("ID %q", id)
		}
		if seen[id] {
			t.Fatalf("ID %s made twice in one second", id)
		}
		seen[id] = true
	}
}

func TestTokenIsUnguessable(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
	seen := map[string]bool{}
	for range 1000 {
		tok := Token()
		if !re.MatchString(tok) {
			t.Fatalf("token %q", tok)
		}
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(b)*8 < 128 {
			t.Fatalf("token %q: %d bits, %v", tok, len(b)*8, err)
		}
		if seen[tok] {
			t.Fatalf("token %s made twice", tok)
		}
		seen[tok] = true
	}
}
