package held

import (
	"regexp"
	"slices"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// The password lines of a PPAP follow-up mail (パスワード通知メール), in
// the shapes senders' mail programs and habits give them:
//
//	パスワード：Kx7-pq29        パスワード: Kx7-pq29      PW：Kx7-pq29
//	解凍パスワード：Kx7-pq29    Password: Kx7-pq29        【パスワード】Kx7-pq29
//	■パスワード ： Kx7-pq29     > パスワード：Kx7-pq29    パスワードは「Kx7-pq29」です
//	■解凍パスワード
//	Kx7-pq29
//
// Each line is compared after NFKC, which folds full-width letters,
// digits and colons to half-width and half-width katakana to full-width.
// A label (パスワード, Password, Passwd, PW, PASS, in any case) is
// followed by a colon, an equals sign, a closing bracket, or は; what
// follows is the password: the quoted word, or the first word. A label
// alone on its line names the next line, when that line is one word.
// Only printable ASCII counts: the passwords of zip tools are ASCII, and
// a line such as 「パスワード：別途お送りします」 names none.
var (
	passwordLine  = regexp.MustCompile(`(?i)(?:^|[^a-z])(?:パスワード|pass-?word|passwd|pw|pass)\s*(?:[:=]|[】\]]\s*[:]?|は\s*[:、,]?)\s*(.+)$`)
	passwordLabel = regexp.MustCompile(`(?i)(?:^|[^a-z])(?:パスワード|pass-?word|passwd|pw)\s*(?:[:】\]]\s*)?$`)
)

// maxPasswords bounds the candidates taken from one mail.
const maxPasswords = 5

// Passwords returns the passwords named in text, at most five, each
// once, in the order they appear.
func Passwords(text string) []string {
	var out []string
	labelled := false // the line before was a label alone
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(norm.NFKC.String(strings.TrimRight(line, "\r")))
		rest := ""
		if m := passwordLine.FindStringSubmatch(line); m != nil {
			rest = m[1]
		} else if labelled && len(strings.Fields(line)) == 1 {
			rest = line
		}
		if line != "" {
			labelled = passwordLabel.MatchString(line)
		}
		pw, ok := passwordValue(rest)
		if !ok || slices.Contains(out, pw) {
			continue
		}
		out = append(out, pw)
		if len(out) == maxPasswords {
			break
		}
	}
	return out
}

// quotes are the pairs a password may be written between.
var quotes = map[rune]rune{'「': '」', '『': '』', '"': '"', '\'': '\'', '“': '”', '‘': '’', '(': ')', '<': '>', '[': ']'}

// passwordValue takes the password from the rest of a password line:
// the quoted text, or the first word, less a trailing です or 。.
func passwordValue(rest string) (string, bool) {
	rest = strings.TrimSpace(rest)
	var pw string
	if r := []rune(rest); len(r) > 0 && quotes[r[0]] != 0 {
		inner, _, found := strings.Cut(string(r[1:]), string(quotes[r[0]]))
		if !found {
			return "", false
		}
		pw = inner
	} else {
		f := strings.Fields(rest)
		if len(f) == 0 {
			return "", false
		}
		pw = f[0]
		for _, suffix := range []string{"です。", "です", "。", "、"} {
			pw = strings.TrimSuffix(pw, suffix)
		}
	}
	if len(pw) < 4 || len(pw) > 128 {
		return "", false
	}
	for _, c := range pw {
		if c < 0x21 || c > 0x7e {
			return "", false
		}
	}
	return pw, true
}
