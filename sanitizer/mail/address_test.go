package mail

import (
	"bytes"
	"net/mail"
	"strings"
	"testing"
)

func TestAddressHeaders(t *testing.T) {
	tests := []struct {
		raw  string
		want []string // "name <addr>" as net/mail reads the output
	}{
		{`"山田 太郎" <yamada@example.jp>`, []string{"山田 太郎 <yamada@example.jp>"}},
		{`=?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>, b@example.org`, []string{"山田 <yamada@example.jp>", " <b@example.org>"}},
		{`"Doe, John" <john@example.com>`, []string{"Doe, John <john@example.com>"}},
		{`John Q. Public <jqp@example.com>`, []string{"John Q. Public <jqp@example.com>"}},
		{`plain@example.com`, []string{" <plain@example.com>"}},
		{`undisclosed-recipients:;`, nil},
		{`=?UTF-8?B?5bGx?= =?UTF-8?B?55Sw?= <a@example.jp>`, []string{"山田 <a@example.jp>"}},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			var f textFindings
			var b bytes.Buffer
			writeField(&b, "To", addressTokens([]byte(tt.raw), &f))
			b.WriteString("\r\n")
			msg, err := mail.ReadMessage(&b)
			if err != nil {
				t.Fatal(err)
			}
			list, err := msg.Header.AddressList("To")
			if err != nil && tt.want != nil {
				t.Fatalf("%q: %v", b.String(), err)
			}
			var got []string
			for _, a := range list {
				got = append(got, a.Name+" <"+a.Address+">")
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got %q, want %q (wire %q)", got, tt.want, msg.Header.Get("To"))
			}
		})
	}
}
