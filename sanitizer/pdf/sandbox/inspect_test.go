package sandbox

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/mugai-project/mugai/sanitizer/pdf"
	"github.com/mugai-project/mugai/sanitizer/pdf/pdftest"
)

// TestInventoryAsInProcess: the sandbox's Inventory gives what pdf.Inspect
// gives in process, for every pdftest fixture (its findings are what the
// disarm removes) and for each refusal, whose error is of the same class
// with the same text.
func TestInventoryAsInProcess(t *testing.T) {
	s := testSandbox(t)
	clean := pdftest.Clean().Bytes
	locked, err := pdftest.Encrypt(clean, "ppap", "owner")
	if err != nil {
		t.Fatal(err)
	}
	type input struct {
		name  string
		in    []byte
		lim   pdf.Limits
		class string
	}
	var inputs []input
	for _, f := range append([]pdftest.Fixture{pdftest.Clean()}, pdftest.Hostile()...) {
		inputs = append(inputs, input{f.Name, f.Bytes, pdf.Limits{}, "nil"})
	}
	inputs = append(inputs,
		input{"Locked", locked, pdf.Limits{}, "encrypted/user-password"},
		input{"LockedWithPassword", locked, pdf.Limits{Password: "ppap"}, "nil"},
		input{"NotAPDF", []byte("hello, world"), pdf.Limits{}, "other"},
		input{"TooManyPages", clean, pdf.Limits{MaxPages: 2}, "limit"},
		input{"FilterReferencePrescan", filterSelf(), pdf.Limits{}, "other"},
	)
	for _, tc := range inputs {
		t.Run(tc.name, func(t *testing.T) {
			got, gerr := s.Inventory(t.Context(), bytes.NewReader(tc.in), tc.lim)
			want, werr := pdf.Inspect(t.Context(), bytes.NewReader(tc.in), tc.lim)
			if errClass(gerr) != tc.class || errClass(werr) != tc.class {
				t.Fatalf("sandbox err = %v, in process %v; want %s", gerr, werr, tc.class)
			}
			if werr != nil {
				if gerr.Error() != werr.Error() {
					t.Errorf("sandbox err = %q, in process %q", gerr, werr)
				}
				return
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("sandbox Info %+v, in process %+v", got, want)
			}
		})
	}
	t.Run("Cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := s.Inventory(ctx, bytes.NewReader(clean), pdf.Limits{}); !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
}

// TestInventoryCrash: a guest that crashes, or answers an inspection
// without an Info, is ErrCrashed.
func TestInventoryCrash(t *testing.T) {
	s := probeSandbox(t, Options{Instances: 1})
	for _, mode := range []string{"exit3", "files"} {
		t.Run(mode, func(t *testing.T) {
			_, err := s.Inventory(t.Context(), bytes.NewReader([]byte(mode+"\n")), pdf.Limits{})
			if !errors.Is(err, ErrCrashed) {
				t.Errorf("err = %v, want ErrCrashed", err)
			}
		})
	}
}
