package sanitizer

import (
	"fmt"

	"github.com/mugai-project/mugai/sanitizer/detect"
)

// FindingClaimedKind records that the front door's Input.Kind, not the
// content sniffer, named the item's kind.
const FindingClaimedKind = "claimed-kind"

// claim applies Input.Kind to what detection found for a top-level item.
//
// Only a message can be claimed: mail received over SMTP is mail by
// definition, whatever raw 8-bit, NUL or line-end oddities keep the
// sniffer from seeing it. The claim makes the mail handler read the item;
// that handler withholds what does not parse as a message and hands every
// part back to the engine, which detects it by content. So a claim
// changes how an item is read, never whether its content is detected.
// Nested items cannot claim (Job.Child clears Kind).
func claim(kind detect.Kind, det *detect.Result) error {
	switch kind {
	case "":
		return nil
	case detect.EML:
	default:
		return fmt.Errorf("sanitizer: Input.Kind %q: only %q can be claimed", kind, detect.EML)
	}
	if det.Kind == detect.EML {
		return nil
	}
	det.Findings = append(det.Findings, detect.Finding{Code: FindingClaimedKind, Detail: fmt.Sprintf("sniffed as %s; read as a message, as the front door received it", det.Kind)})
	det.Kind, det.MediaType, det.Charset = detect.EML, detect.MediaType(detect.EML), ""
	return nil
}
