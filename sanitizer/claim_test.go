package sanitizer_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mugai-project/mugai/sanitizer"
	"github.com/mugai-project/mugai/sanitizer/detect"
)

// mailSpy is an EML handler that records the jobs it was given.
type mailSpy struct{ kinds []detect.Kind }

func (m *mailSpy) Act(_ context.Context, job *sanitizer.Job) error {
	m.kinds = append(m.kinds, job.Kind)
	return sanitizer.Withhold(sanitizer.ReasonMalformed, errors.New("spy"))
}

func TestClaimedMessageIsReadAsOne(t *testing.T) {
	spy := &mailSpy{}
	e := newTestEngine(t, sanitizer.Options{Handlers: map[detect.Kind]sanitizer.Handler{detect.EML: spy}})
	res, err := e.Sanitize(context.Background(), sanitizer.Input{Name: "message.eml", Kind: detect.EML, Body: strings.NewReader("Subject: a\x00b\r\n\r\n\x00\x01")})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	if len(spy.kinds) != 1 || spy.kinds[0] != detect.EML || res.Report.Detected != detect.EML {
		t.Fatalf("the mail handler ran for %v; detected %s", spy.kinds, res.Report.Detected)
	}
	if !hasFinding(res.Report, sanitizer.FindingClaimedKind) {
		t.Errorf("findings %+v lack the claim", res.Report.Findings)
	}
}

func TestOnlyAMessageCanBeClaimed(t *testing.T) {
	e := newTestEngine(t, sanitizer.Options{})
	for _, k := range []detect.Kind{detect.Text, detect.PDF, detect.PNG, "anything"} {
		res, err := e.Sanitize(context.Background(), sanitizer.Input{Name: "a.txt", Kind: k, Body: strings.NewReader("MZ\x90\x00")})
		if err == nil {
			res.Close()
			t.Errorf("Kind %q was accepted", k)
		}
	}
}

func TestNestedItemCannotClaim(t *testing.T) {
	// A handler passing a claim on to a nested item (an archive entry, a
	// mail part) is ignored: nested items are detected by content.
	spy := &mailSpy{}
	var child *sanitizer.Report
	parent := sanitizer.HandlerFunc(func(ctx context.Context, job *sanitizer.Job) error {
		res, err := job.Child(ctx, sanitizer.Input{Name: "part.eml", Kind: detect.EML, Body: strings.NewReader("\x00\x01\x02Subject: x\r\nFrom: y\r\n\r\n")})
		if err != nil {
			return err
		}
		child = res.Report
		res.Close()
		return sanitizer.Withhold(sanitizer.ReasonMalformed, errors.New("parent"))
	})
	e := newTestEngine(t, sanitizer.Options{Handlers: map[detect.Kind]sanitizer.Handler{detect.EML: spy, detect.Text: parent}})
	res, err := e.Sanitize(context.Background(), sanitizer.Input{Name: "a.txt", Body: strings.NewReader("plain text")})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	if child == nil || child.Detected != detect.Unknown || len(spy.kinds) != 0 {
		t.Fatalf("nested claim honoured: child %+v, mail handler ran %d times", child, len(spy.kinds))
	}
}
