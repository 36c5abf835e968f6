package pdf_test

import (
	"bytes"
	"context"
	"fmt"

	"github.com/mugai-project/mugai/sanitizer/pdf"
	"github.com/mugai-project/mugai/sanitizer/pdf/pdftest"
)

func ExampleDisarm() {
	in := pdftest.Hostile()[0].Bytes // a PDF that runs JavaScript when opened

	info, err := pdf.Inspect(context.Background(), bytes.NewReader(in), pdf.Limits{})
	if err != nil {
		fmt.Println("withhold:", err)
		return
	}
	fmt.Println("pages:", info.Pages, "findings:", info.Findings)

	var out bytes.Buffer
	removed, err := pdf.Disarm(context.Background(), bytes.NewReader(in), &out, pdf.DisarmOptions{Links: pdf.LinksRemove})
	if err != nil {
		fmt.Println("withhold:", err)
		return
	}
	for _, c := range removed.Categories() {
		fmt.Println("removed", c, removed[c])
	}
	// Output:
	// pages: 1 findings: [{javascript 1} {openaction 1}]
	// removed javascript 1
	// removed openaction 1
}
