package transfer

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mugai-project/mugai/sanitizer"
)

// reportLines tells what mugai found in an item, what it did and why, in
// plain words (Japanese or English), from its report.
func reportLines(rep *sanitizer.Report, l string) []string {
	if rep == nil {
		return nil
	}
	en := l == "en"
	t := messages[l]
	var out []string
	kind := string(rep.Detected)
	if k, ok := kindNames[kind]; ok {
		kind = pick(en, k[1], k[0])
	}
	out = append(out, fmt.Sprintf(t["rep_detected"], kind))
	for _, f := range rep.Findings {
		w, ok := findingNames[f.Code]
		if !ok {
			w = [2]string{"注意: " + f.Code, "warning: " + f.Code}
		}
		out = append(out, pick(en, w[1], w[0]))
	}
	if len(rep.Removed) > 0 {
		var parts []string
		for _, rm := range rep.Removed {
			w, ok := removedNames[rm.What]
			name := rm.What
			if ok {
				name = pick(en, w[1], w[0])
			}
			parts = append(parts, fmt.Sprintf("%s ×%d", name, rm.Count))
		}
		out = append(out, t["rep_removed"]+strings.Join(parts, pick(en, ", ", "、")))
	}
	switch {
	case rep.Withheld && rep.Action == sanitizer.Hold:
		out = append(out, t["rep_held"])
	case rep.Withheld:
		out = append(out, t["rep_withheld"])
	default:
		if a, ok := actionNames[string(rep.Action)]; ok {
			out = append(out, pick(en, a[1], a[0]))
		}
	}
	for _, rs := range rep.Reasons {
		out = append(out, t["rep_reason"]+pick(en, rs.English, rs.Message))
	}
	for _, c := range rep.Children {
		for i, line := range reportLines(c, l) {
			if i == 0 { // the "detected" line
				line = c.Name + ": " + line
			}
			out = append(out, "　"+line)
		}
	}
	return out
}

func pick(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}

// kindNames are the detected kinds in words: Japanese, English.
var kindNames = map[string][2]string{
	"pdf": {"PDF文書", "PDF document"}, "png": {"PNG画像", "PNG image"}, "jpeg": {"JPEG画像", "JPEG image"},
	"gif": {"GIF画像", "GIF image"}, "bmp": {"BMP画像", "BMP image"}, "tiff": {"TIFF画像", "TIFF image"}, "webp": {"WebP画像", "WebP image"},
	"svg": {"SVG画像", "SVG image"}, "html": {"HTML", "HTML"}, "text": {"テキスト", "text"}, "csv": {"CSV", "CSV"}, "tsv": {"TSV", "TSV"},
	"docx": {"Word文書", "Word document"}, "docm": {"Word文書（マクロ付き）", "Word document with macros"},
	"xlsx": {"Excelブック", "Excel workbook"}, "xlsm": {"Excelブック（マクロ付き）", "Excel workbook with macros"},
	"pptx": {"PowerPointプレゼンテーション", "PowerPoint presentation"}, "pptm": {"PowerPoint（マクロ付き）", "PowerPoint with macros"},
	"ole2": {"旧形式のOffice文書", "legacy Office document"}, "rtf": {"RTF文書", "RTF document"},
	"zip": {"ZIP圧縮ファイル", "ZIP archive"}, "exe": {"実行ファイル", "executable"}, "script": {"スクリプト", "script"},
	"eml": {"メール", "mail message"}, "unknown": {"不明な形式", "unknown format"}, "empty": {"空のファイル", "empty file"},
	"eicar": {"EICARテストファイル", "EICAR test file"}, "calendar": {"予定表（iCalendar）", "calendar (iCalendar)"},
}

// actionNames say what was done.
var actionNames = map[string][2]string{
	"text":     {"対処: テキストに変換しました", "done: converted to plain text"},
	"flatten":  {"対処: 画像化PDFに変換しました（文字・スクリプトは画像になり実行できません）", "done: converted to an image-only PDF"},
	"disarm":   {"対処: マクロ・外部参照などを除いて作り直しました", "done: rebuilt without macros, external references and other active content"},
	"reencode": {"対処: 画像を描き直しました（埋め込み情報を除去）", "done: image re-encoded, embedded data removed"},
	"strip":    {"対処: 圧縮ファイルを展開し、中身を1つずつ無害化しました", "done: archive opened and each file sanitized"},
}

// removedNames are the things taken out.
var removedNames = map[string][2]string{
	"macro": {"マクロ", "macros"}, "javascript": {"JavaScript", "JavaScript"}, "openaction": {"自動実行アクション", "open actions"},
	"additional-actions": {"追加アクション", "additional actions"}, "launch": {"外部プログラム起動", "launch actions"},
	"embedded-file": {"埋め込みファイル", "embedded files"}, "file-attachment": {"添付ファイル注釈", "file attachments"},
	"action": {"アクション", "actions"}, "richmedia": {"リッチメディア", "rich media"}, "hyperlink": {"リンク", "hyperlinks"},
	"exif": {"Exif情報", "Exif data"}, "gps": {"位置情報", "GPS location"}, "xmp": {"XMP情報", "XMP data"}, "icc": {"色プロファイル", "ICC profile"},
	"metadata": {"メタデータ", "metadata"}, "comment": {"コメント", "comments"}, "formula": {"数式（値は保持）", "formulas (values kept)"},
	"external-link": {"外部リンク", "external links"}, "activex": {"ActiveX", "ActiveX"}, "ole-object": {"埋め込みオブジェクト", "embedded objects"},
	"archive-entry": {"圧縮ファイル内の項目", "archive entries"}, "trailing-bytes": {"末尾の余分なデータ", "trailing data"},
	"calendar-attachment": {"予定に添付されたファイル", "files attached to the event"}, "calendar-html-description": {"HTML形式の説明", "HTML descriptions"},
	"calendar-alarm": {"アラーム（通知・プログラム実行）", "alarms"}, "calendar-component": {"その他の予定要素", "other calendar components"},
	"calendar-property": {"その他の項目", "other calendar properties"}, "calendar-parameter": {"項目の付加情報（リンクなど）", "property parameters (links and others)"},
	"calendar-invalid-value": {"値が不正な項目", "properties with invalid values"},
}

// findingNames are the detector's warnings.
var findingNames = map[string][2]string{
	"type-mismatch":              {"注意: 拡張子・申告された種類と中身が一致しません", "warning: the name or declared type does not match the content"},
	"name-bidi-control":          {"注意: ファイル名に表示を偽装する制御文字があります", "warning: the name hides its extension with bidi controls"},
	"name-double-extension":      {"注意: ファイル名に二重の拡張子があります", "warning: double extension in the name"},
	"name-trailing-dot-or-space": {"注意: ファイル名の末尾に点や空白があります", "warning: trailing dot or space in the name"},
	"name-control-character":     {"注意: ファイル名に制御文字があります", "warning: control characters in the name"},
	"polyglot":                   {"注意: 複数の形式として解釈できる内容です", "warning: the content is valid as several formats"},
	"script-name":                {"注意: Windowsが実行する種類のファイル名です（中身がテキストでも実行されます）", "warning: a name Windows runs, whatever the content"},
	"pdf-header-not-at-start":    {"注意: PDFの先頭に余分なデータがあります", "warning: data before the PDF header"},
	"archive-encrypted-entry":    {"注意: パスワードで暗号化された項目があります", "warning: an entry is encrypted with a password"},
	"archive-wrong-password":     {"注意: パスワードが違います", "warning: the password is wrong"},
	"archive-damaged-entry":      {"注意: 壊れた項目があります", "warning: a damaged entry"},
	"archive-link-or-device":     {"注意: リンクや特殊ファイルを取り除きました", "warning: links or device files were dropped"},
	"archive-unsafe-path":        {"注意: 危険なパス（../ など）を持つ項目があります", "warning: an entry with an unsafe path (../)"},
	"zip-local-name-mismatch":    {"注意: ZIP内の名前が食い違っています（偽装の疑い）", "warning: zip entry names disagree (possible disguise)"},
	"zip-overlapping-entries":    {"注意: ZIPの項目が重なっています（圧縮爆弾の疑い）", "warning: overlapping zip entries (possible zip bomb)"},
	"malware":                    {"注意: マルウェアを検出しました", "warning: malware detected"},
	"eicar-test-file":            {"注意: ウイルス対策ソフトのテスト用ファイル(EICAR)です", "warning: the EICAR anti-malware test file"},
}

// messages are the pages' words.
var messages = map[string]map[string]string{
	"ja": {
		"lang": "ja", "other_lang": "English", "other_lang_code": "en",
		"title_upload": "mugai ファイル受け渡し（アップロード・インターネット側）", "title_download": "mugai ファイル受け渡し（ダウンロード・LGWAN側）",
		"site_upload": "アップロード（インターネット側）", "site_download": "ダウンロード（LGWAN側）",
		"login": "ログイン", "logout": "ログアウト", "user": "ユーザー名", "password": "パスワード", "signed_in": "ログイン中",
		"err_login": "ユーザー名またはパスワードが違います。続けて間違えると一時的にロックされます。",
		"err_rate":  "ログインの試行が多すぎます。1分ほど待ってからやり直してください。",
		"drop":      "ここにファイルをドラッグ＆ドロップ", "choose": "または", "choose_button": "ファイルを選択", "limits": "1回に%d件まで、1ファイル%sまで",
		"to": "宛先（ほかの職員のユーザー名、カンマ区切り・任意）", "upload": "アップロード",
		"files": "ファイルの状態", "no_items": "まだファイルはありません。",
		"state_received": "受付", "state_processing": "無害化中", "state_done": "完了", "state_held": "保留", "state_withheld": "削除",
		"state_deleted": "削除済み", "state_expired": "期限切れ",
		"approval_pending": "上長承認待ち", "approval_approved": "承認済み", "approval_rejected": "差し戻し",
		"err_form": "アップロードを読み取れませんでした。もう一度お試しください。", "err_size": "ファイルが大きすぎます（上限 %s）。",
		"err_count": "一度にアップロードできるのは %s 件までです。", "err_nofile": "ファイルがありません。", "err_empty": "空のファイルです: %s",
		"err_recipient": "宛先のユーザーが見つかりません: %s", "err_internal": "サーバーの内部エラーです。管理者に連絡してください。",
		"err_unlock": "このファイルはパスワード解除の対象ではありません。", "err_forbidden": "この操作の権限がありません。",
		"err_self_approve": "自分のアップロードは承認できません。", "err_not_pending": "承認待ちではありません。",
		"unlock_label": "パスワード付きファイルのパスワード", "unlock": "解除して無害化",
		"approvals": "上長承認", "approve": "承認", "reject": "差し戻し", "no_approvals": "承認待ちのファイルはありません。",
		"approval_saved": "記録しました。", "uploader": "アップロードした人", "report": "無害化の結果",
		"download_list": "受け取れるファイル", "name": "ファイル名", "size": "サイズ", "summary": "無害化の内容", "expires": "有効期限",
		"from": "送り主", "download": "ダウンロード", "delete": "削除", "no_downloads": "受け取れるファイルはありません。",
		"deleted": "削除しました。", "delete_confirm": "このファイルを削除しますか？",
		"rep_detected": "判定: %s", "rep_removed": "除去したもの: ", "rep_reason": "理由: ",
		"rep_held": "対処: 保留しました（パスワードを入力すると解除して無害化します）", "rep_withheld": "対処: このファイルは削除しました（原本は隔離保管）",
		"upload_note":   "ファイルは無害化（マクロの削除、PDFの画像化など）してからLGWAN側で受け取れます。原本は隔離保管されます。",
		"download_note": "インターネット側でアップロードされ、無害化されたファイルです。",
	},
	"en": {
		"lang": "en", "other_lang": "日本語", "other_lang_code": "ja",
		"title_upload": "mugai file transfer (upload, Internet side)", "title_download": "mugai file transfer (download, LGWAN side)",
		"site_upload": "Upload (Internet side)", "site_download": "Download (LGWAN side)",
		"login": "Log in", "logout": "Log out", "user": "User name", "password": "Password", "signed_in": "Signed in as",
		"err_login": "Wrong user name or password. Repeated failures lock the account for a while.",
		"err_rate":  "Too many login attempts. Wait a minute and try again.",
		"drop":      "Drop files here", "choose": "or", "choose_button": "Choose files", "limits": "up to %d files at once, %s each",
		"to": "Recipients (other staff's user names, comma separated, optional)", "upload": "Upload",
		"files": "Your files", "no_items": "No files yet.",
		"state_received": "received", "state_processing": "sanitizing", "state_done": "done", "state_held": "held", "state_withheld": "removed",
		"state_deleted": "deleted", "state_expired": "expired",
		"approval_pending": "awaiting approval", "approval_approved": "approved", "approval_rejected": "rejected",
		"err_form": "The upload could not be read. Please try again.", "err_size": "The file is too large (limit %s).",
		"err_count": "At most %s files per upload.", "err_nofile": "No file was sent.", "err_empty": "Empty file: %s",
		"err_recipient": "No such recipient: %s", "err_internal": "Internal server error. Please contact the administrator.",
		"err_unlock": "This file is not waiting for a password.", "err_forbidden": "You are not allowed to do this.",
		"err_self_approve": "You cannot approve your own upload.", "err_not_pending": "Not awaiting approval.",
		"unlock_label": "Password of the encrypted file", "unlock": "Unlock and sanitize",
		"approvals": "Approvals", "approve": "Approve", "reject": "Reject", "no_approvals": "Nothing awaits approval.",
		"approval_saved": "Recorded.", "uploader": "Uploaded by", "report": "Sanitization",
		"download_list": "Files for you", "name": "Name", "size": "Size", "summary": "Sanitization", "expires": "Expires",
		"from": "From", "download": "Download", "delete": "Delete", "no_downloads": "No files for you.",
		"deleted": "Deleted.", "delete_confirm": "Delete this file?",
		"rep_detected": "Detected: %s", "rep_removed": "Removed: ", "rep_reason": "Why: ",
		"rep_held": "Done: held (enter the password to unlock and sanitize it)", "rep_withheld": "Done: this file was removed (the original is kept in quarantine)",
		"upload_note":   "Files are sanitized (macros removed, PDFs flattened to images, …) before they can be downloaded on the LGWAN side. Originals are kept in quarantine.",
		"download_note": "Files uploaded on the Internet side, after sanitization.",
	},
}

func humanSize(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	v, u := float64(n)/1024, 0
	for v >= 1024 && u < 4 {
		v /= 1024
		u++
	}
	s := strconv.FormatFloat(v, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0") + " " + []string{"KiB", "MiB", "GiB", "TiB", "PiB"}[u]
}
