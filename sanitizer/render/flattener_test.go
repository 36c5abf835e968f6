package render

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitizer"
)

// TestFlattenerStartsOnFirstUse: building the engine's renderer costs
// nothing until a PDF arrives, and once closed it renders no more.
func TestFlattenerStartsOnFirstUse(t *testing.T) {
	f := NewFlattener(Options{Instances: 1, Logger: quietLogger()})
	if f.pool != nil {
		t.Fatal("the pool started before the first PDF")
	}
	p, err := f.start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := f.start(context.Background()); again != p {
		t.Error("a second PDF started a second pool")
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.start(context.Background()); err == nil {
		t.Error("a closed renderer started again")
	}
	if err := f.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
}

// TestFlattenerReasons: the renderer's refusals become the engine's
// reasons, so that a withheld PDF says why.
func TestFlattenerReasons(t *testing.T) {
	tests := []struct {
		err          error
		withPassword bool
		code         string
		hold         bool
	}{
		{ErrEncrypted, false, sanitizer.ReasonEncrypted, true},
		{ErrEncrypted, true, sanitizer.ReasonWrongPassword, true},
		{&LimitError{What: "pages", Limit: 1, Got: 2}, false, sanitizer.ReasonLimit, false},
		{context.DeadlineExceeded, false, sanitizer.ReasonTimeout, false},
		{ErrMalformed, false, sanitizer.ReasonMalformed, false},
	}
	for _, tt := range tests {
		err := reason(tt.err, tt.withPassword)
		var we *sanitizer.WithheldError
		if !errors.As(err, &we) || !errors.Is(err, tt.err) {
			t.Fatalf("%v: not a withheld error with its cause: %v", tt.err, err)
		}
		if we.Reason.Code != tt.code || we.Hold != tt.hold {
			t.Errorf("%v: reason %s hold %v, want %s hold %v", tt.err, we.Reason.Code, we.Hold, tt.code, tt.hold)
		}
	}
}

// TestLostTextNote: the note names each page with its missing characters
// and fonts, ten at most.
func TestLostTextNote(t *testing.T) {
	one := lostTextNote([]LostText{{Page: 3, Chars: 12, Fonts: []string{"SimFang", "FZXiaoBiaoSong-B05S"}}})
	if want := "text did not render on page 3 (12 characters, font SimFang, FZXiaoBiaoSong-B05S)"; one != want {
		t.Errorf("note %q, want %q", one, want)
	}
	var many []LostText
	for i := range 12 {
		many = append(many, LostText{Page: i + 1, Chars: 1})
	}
	if got := lostTextNote(many); !strings.HasPrefix(got, "text did not render on pages 1 (1 characters), 2 (1 characters)") ||
		!strings.HasSuffix(got, "10 (1 characters) and 2 more") {
		t.Errorf("note %q", got)
	}
}
