package detect

import (
	"path"
	"strings"
)

// runnableExt are the extensions whose files the recipient's PC runs,
// installs or hands to an interpreter when they are opened, whatever their
// content: Outlook's Level 1 list of blocked attachment types (Microsoft
// 365, "Blocked attachments in Outlook"), the disk images and app
// packages Windows mounts or installs, and the script types of other
// systems. A text file under such a name is a script.
var runnableExt = map[string]bool{
	// Outlook Level 1
	".ade": true, ".adp": true, ".app": true, ".appcontent-ms": true, ".application": true,
	".appref-ms": true, ".asp": true, ".aspx": true, ".asx": true, ".bas": true, ".bat": true,
	".bgi": true, ".cab": true, ".cdxml": true, ".cer": true, ".chm": true, ".cmd": true,
	".cnt": true, ".com": true, ".cpl": true, ".crt": true, ".csh": true, ".der": true,
	".diagcab": true, ".exe": true, ".fxp": true, ".gadget": true, ".grp": true, ".hlp": true,
	".hpj": true, ".hta": true, ".htc": true, ".inf": true, ".ins": true, ".isp": true,
	".its": true, ".jar": true, ".jnlp": true, ".js": true, ".jse": true, ".ksh": true,
	".library-ms": true, ".lnk": true, ".mad": true, ".maf": true, ".mag": true, ".mam": true,
	".maq": true, ".mar": true, ".mas": true, ".mat": true, ".mau": true, ".mav": true,
	".maw": true, ".mcf": true, ".mda": true, ".mdb": true, ".mde": true, ".mdt": true,
	".mdw": true, ".mdz": true, ".msc": true, ".msh": true, ".msh1": true, ".msh2": true,
	".mshxml": true, ".msh1xml": true, ".msh2xml": true, ".msi": true, ".msp": true, ".mst": true,
	".msu": true, ".ops": true, ".osd": true, ".pcd": true, ".pif": true, ".pl": true,
	".plg": true, ".prf": true, ".prg": true, ".printerexport": true, ".ps1": true,
	".ps1xml": true, ".ps2": true, ".ps2xml": true, ".psc1": true, ".psc2": true, ".psd1": true,
	".psdm1": true, ".psm1": true, ".pssc": true, ".pst": true, ".py": true, ".pyc": true,
	".pyo": true, ".pyw": true, ".pyz": true, ".pyzw": true, ".reg": true, ".scf": true,
	".scr": true, ".sct": true, ".settingcontent-ms": true, ".shb": true, ".shs": true,
	".theme": true, ".tmp": true, ".url": true, ".vb": true, ".vbe": true, ".vbp": true,
	".vbs": true, ".vhd": true, ".vhdx": true, ".vsmacros": true, ".vsw": true, ".webpnp": true,
	".website": true, ".ws": true, ".wsb": true, ".wsc": true, ".wsf": true, ".wsh": true,
	".xbap": true, ".xll": true, ".xnk": true,
	// mounted or installed by a double click
	".iso": true, ".img": true, ".appx": true, ".appxbundle": true, ".msix": true, ".msixbundle": true,
	".dll": true, ".ocx": true, ".sys": true, ".drv": true,
	// scripts elsewhere, and pages that run scripts when opened
	".sh": true, ".bash": true, ".zsh": true, ".rb": true, ".php": true, ".desktop": true,
	".applescript": true, ".command": true, ".mht": true, ".mhtml": true, ".svgz": true,
}

// RunnableExt returns the extension of name as Windows reads it (bidi
// and control characters dropped, trailing dots and spaces dropped, as
// Explorer does) when it is one the recipient's PC would run; "" when it
// is not.
func RunnableExt(name string) string {
	base := path.Base(strings.ReplaceAll(name, "\\", "/"))
	ext := strings.ToLower(path.Ext(strings.TrimRight(stripInvisible(base), ". ")))
	if runnableExt[ext] {
		return ext
	}
	return ""
}
