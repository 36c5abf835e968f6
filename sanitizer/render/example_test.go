package render_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/mugai-project/mugai/sanitizer/render"
)

func ExamplePool_Flatten() {
	ctx := context.Background()
	pool, err := render.New(ctx, render.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pool.Close()

	in, err := os.Open("testdata/hello.pdf")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer in.Close()
	fi, _ := in.Stat()

	var out bytes.Buffer
	st, err := pool.Flatten(ctx, in, fi.Size(), &out, render.Limits{DPI: 150})
	var le *render.LimitError
	switch {
	case errors.As(err, &le):
		fmt.Println("withheld:", le.What)
	case errors.Is(err, render.ErrEncrypted):
		fmt.Println("withheld: encrypted")
	case err != nil:
		fmt.Println("withheld:", err)
	default:
		fmt.Println(st.Pages, "page(s), encodings", st.Encodings)
	}
	// Output: 1 page(s), encodings map[bilevel-g4:1]
}
