package pdf

import "github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

// catalog rebuilds the document catalog (ISO 32000-1 §7.7.2).
func (d *disarmer) catalog(root types.Dict) error {
	// Even a plain destination goes: the output check refuses the key.
	if v, ok := root["OpenAction"]; ok {
		d.removed.add("openaction", 1)
		d.countActions(v, 0)
		delete(root, "OpenAction")
	}
	if v, ok := root["AA"]; ok {
		d.removed.add("additional-actions", 1)
		d.countAA(v)
		delete(root, "AA")
	}
	if v, ok := root["Names"]; ok {
		names := d.derefDict(v)
		rebuilt := types.NewDict()
		for k, t := range names {
			switch k {
			case "Dests":
				rebuilt[k] = t
			case "JavaScript":
				d.removed.add("javascript", d.countNameTree(t))
			case "EmbeddedFiles":
				d.removed.add("embedded-file", d.countNameTree(t))
			case "AlternatePresentations":
				d.removed.add("alternate-presentation", max(1, d.countNameTree(t)))
			case "Renditions":
				d.removed.add("rendition", d.countNameTree(t))
			}
		}
		if len(rebuilt) > 0 {
			root["Names"] = rebuilt
		} else {
			delete(root, "Names")
		}
	}
	if v, ok := root["AcroForm"]; ok {
		form := d.derefDict(v)
		rebuilt := types.NewDict()
		for k, t := range form {
			switch {
			case acroFormKeys[k]:
				rebuilt[k] = t
			case k == "XFA":
				d.removed.add("xfa", 1)
			case k == "CO":
				d.removed.add("calculation-order", 1)
			}
		}
		if len(rebuilt) > 0 {
			root["AcroForm"] = rebuilt
		} else {
			delete(root, "AcroForm")
		}
	}
	if pm := root.NameEntry("PageMode"); pm != nil && *pm == "UseAttachments" {
		root["PageMode"] = types.Name("UseNone")
	}
	for k := range root {
		if !catalogKeys[k] {
			delete(root, k)
		}
	}
	root["Type"] = types.Name("Catalog")
	return nil
}
