package catalog_test

import (
	"fmt"

	"github.com/mugai-project/mugai/internal/catalog"
)

func Example() {
	fmt.Println(catalog.Text(catalog.Japanese, "page.err_recipient", "tanaka"))
	fmt.Println(catalog.Text(catalog.English, "page.err_recipient", "tanaka"))
	fmt.Println(catalog.N(catalog.English, "notice.alternatives", 1))
	fmt.Println(catalog.N(catalog.English, "notice.alternatives", 2))
	// Output:
	// 宛先に指定できないユーザー名です: tanaka（宛先の一覧から選んでください）
	// This user name cannot be a recipient: tanaka (pick one from the list)
	// 1 alternative version of the body was removed
	// 2 alternative versions of the body were removed
}
