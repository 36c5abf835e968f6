package mail_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"mime"
	"net/mail"
	"os"
	"strings"

	"github.com/mugai-project/mugai/sanitizer"
	mugaimail "github.com/mugai-project/mugai/sanitizer/mail"
)

// Wire the mail handler and its verifier into an engine, sanitize a
// Shift_JIS HTML message and read the result back with net/mail.
func Example() {
	dir, _ := os.MkdirTemp("", "mugai-example")
	defer os.RemoveAll(dir)
	eng, err := sanitizer.New(sanitizer.Options{
		TempDir:   dir,
		Handlers:  mugaimail.Handlers(mugaimail.Options{Links: mugaimail.LinksDefang}),
		Verifiers: mugaimail.Verifiers(),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()

	raw := "From: sender@example.com\r\nTo: staff@city.example.lg.jp\r\n" +
		"Subject: =?UTF-8?B?5Lya6K2w44Gu44GK55+l44KJ44Gb?=\r\n" +
		"Content-Type: text/html; charset=UTF-8\r\n\r\n" +
		"<p>会議は<a href=\"https://example.com/a\">こちら</a></p><script>alert(1)</script>\r\n"
	res, err := eng.Sanitize(context.Background(), sanitizer.Input{Name: "msg.eml", Body: strings.NewReader(raw)})
	if err != nil {
		log.Fatal(err)
	}
	defer res.Close()

	msg, _ := mail.ReadMessage(res.Outputs[0].Open())
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	fmt.Println(subject)
	fmt.Println(msg.Header.Get("Content-Type"))
	b, _ := io.ReadAll(msg.Body)
	fmt.Println(len(b) > 0)
	// Output:
	// 会議のお知らせ
	// text/plain; charset=UTF-8
	// true
}
