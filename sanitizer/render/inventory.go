package render

import (
	"github.com/klippa-app/go-pdfium/enums"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
)

// The inventory counts, for the report, the active content that rendering
// leaves behind, as far as PDFium's API tells it. It uses the categories
// of sanitizer/pdf's Removed. It is a report, not a safety check (only
// pixels leave the sandbox whatever it finds), so a call PDFium refuses
// counts nothing rather than failing the document.

// annotCategory names the annotation subtypes that a disarm would remove
// (ISO 32000-1 §12.5.6); the others are drawn into the page image.
var annotCategory = map[enums.FPDF_ANNOTATION_SUBTYPE]string{
	enums.FPDF_ANNOT_SUBTYPE_FILEATTACHMENT: "file-attachment",
	enums.FPDF_ANNOT_SUBTYPE_SOUND:          "sound",
	enums.FPDF_ANNOT_SUBTYPE_MOVIE:          "movie",
	enums.FPDF_ANNOT_SUBTYPE_SCREEN:         "screen",
	enums.FPDF_ANNOT_SUBTYPE_RICHMEDIA:      "richmedia",
	enums.FPDF_ANNOT_SUBTYPE_THREED:         "3d",
	enums.FPDF_ANNOT_SUBTYPE_UNKNOWN:        "annotation",
}

// actionCategory names link actions by PDFium's action type. PDFium calls
// every action other than these four (and GoTo) unsupported: JavaScript,
// SubmitForm, Named and the rest count as "action".
var actionCategory = map[enums.FPDF_ACTION_ACTION]string{
	enums.FPDF_ACTION_ACTION_URI:          "uri",
	enums.FPDF_ACTION_ACTION_LAUNCH:       "launch",
	enums.FPDF_ACTION_ACTION_REMOTEGOTO:   "gotor",
	enums.FPDF_ACTION_ACTION_EMBEDDEDGOTO: "gotoe",
	enums.FPDF_ACTION_ACTION_UNSUPPORTED:  "action",
}

// docInventory counts the document's JavaScript name tree, embedded
// files and XFA form into found, and reports whether it is encrypted.
func (in *instance) docInventory(doc references.FPDF_DOCUMENT, found map[string]int) (encrypted bool) {
	if res, err := in.FPDFDoc_GetJavaScriptActionCount(&requests.FPDFDoc_GetJavaScriptActionCount{Document: doc}); err == nil {
		count(found, "javascript", res.JavaScriptActionCount)
	}
	if res, err := in.FPDFDoc_GetAttachmentCount(&requests.FPDFDoc_GetAttachmentCount{Document: doc}); err == nil {
		count(found, "embedded-file", res.AttachmentCount)
	}
	if res, err := in.FPDF_GetFormType(&requests.FPDF_GetFormType{Document: doc}); err == nil &&
		(res.FormType == enums.FPDF_FORMTYPE_XFA_FULL || res.FormType == enums.FPDF_FORMTYPE_XFA_FOREGROUND) {
		count(found, "xfa", 1)
	}
	res, err := in.FPDF_GetSecurityHandlerRevision(&requests.FPDF_GetSecurityHandlerRevision{Document: doc})
	return err == nil && res.SecurityHandlerRevision >= 0
}

// pageInventory counts the page's additional actions, its annotations of
// the subtypes in annotCategory and the actions of its links into found.
func (in *instance) pageInventory(page requests.Page, found map[string]int) {
	for _, aa := range []enums.FPDF_PAGE_AACTION{enums.FPDF_PAGE_AACTION_OPEN, enums.FPDF_PAGE_AACTION_CLOSE} {
		if res, err := in.FPDF_GetPageAAction(&requests.FPDF_GetPageAAction{Page: page, AAType: aa}); err == nil && res.Action != nil {
			count(found, "additional-actions", 1)
			in.actionInventory(*res.Action, found)
		}
	}
	res, err := in.FPDFPage_GetAnnotCount(&requests.FPDFPage_GetAnnotCount{Page: page})
	if err != nil {
		return
	}
	for i := range res.Count {
		a, err := in.FPDFPage_GetAnnot(&requests.FPDFPage_GetAnnot{Page: page, Index: i})
		if err != nil {
			continue
		}
		in.annotInventory(a.Annotation, found)
		_, _ = in.FPDFPage_CloseAnnot(&requests.FPDFPage_CloseAnnot{Annotation: a.Annotation})
	}
}

func (in *instance) annotInventory(annot references.FPDF_ANNOTATION, found map[string]int) {
	st, err := in.FPDFAnnot_GetSubtype(&requests.FPDFAnnot_GetSubtype{Annotation: annot})
	if err != nil {
		return
	}
	if c, ok := annotCategory[st.Subtype]; ok {
		count(found, c, 1)
	}
	if st.Subtype != enums.FPDF_ANNOT_SUBTYPE_LINK {
		return
	}
	link, err := in.FPDFAnnot_GetLink(&requests.FPDFAnnot_GetLink{Annotation: annot})
	if err != nil {
		return
	}
	act, err := in.FPDFLink_GetAction(&requests.FPDFLink_GetAction{Link: link.Link})
	if err != nil || act.Action == nil {
		return
	}
	in.actionInventory(*act.Action, found)
}

func (in *instance) actionInventory(action references.FPDF_ACTION, found map[string]int) {
	if t, err := in.FPDFAction_GetType(&requests.FPDFAction_GetType{Action: action}); err == nil {
		if c, ok := actionCategory[t.Type]; ok {
			count(found, c, 1)
		}
	}
}

func count(found map[string]int, category string, n int) {
	if n > 0 {
		found[category] += n
	}
}
