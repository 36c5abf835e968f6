package charset_test

import (
	"fmt"

	"github.com/mugai-project/mugai/sanitizer/charset"
)

func ExampleSniff() {
	fmt.Println(charset.Sniff([]byte("\x82\xa8\x90\xa2\x98\x62\x82\xc9\x82\xc8\x82\xc1\x82\xc4\x82\xa8\x82\xe8\x82\xdc\x82\xb7")))
	fmt.Println(charset.Sniff([]byte("\x1b$B$*@$OC$K$J$C$F$*$j$^$9\x1b(B")))
	fmt.Printf("%q\n", charset.Sniff([]byte("\x89PNG\r\n\x1a\n\x00\x00")))
	// Output:
	// Shift_JIS
	// ISO-2022-JP
	// ""
}
