// Package text makes text safe to cross into the LGWAN zone: it rewrites
// plain text, CSV and TSV as clean UTF-8 from the charsets that
// sanitizer/charset reads, and turns HTML into plain text.
//
// Rewrite writes valid UTF-8 only: controls removed, invalid bytes as
// U+FFFD, line ends as in the input; CSV/TSV (RFC 4180) cells that a
// spreadsheet would run as formulas are neutralized (OWASP CSV Injection).
//
// HTMLToText renders HTML (HTML Living Standard tokenization, via
// golang.org/x/net/html) as plain text for mail 無害化: active content,
// hidden content and forms are dropped, links are kept, defanged or
// removed, and every URL is listed for the report.
//
// ApplyLinks is the one links policy, for the text of HTML documents and
// for plain-text mail bodies alike. It finds http, https and ftp URLs
// written in text by RFC 3986's character set (section 2). Divergence:
// an IRI's non-ASCII characters end the URL, as Japanese text often
// follows a URL with no space between.
//
// Everything written is rebuilt from decoded characters; no input bytes
// are passed through. Limits (input, line, token and output bytes,
// nesting depth) return a *LimitError, and the caller withholds the item.
//
// Handlers gives the engine its handlers for text, CSV, TSV and HTML, and
// Verifiers the checks of what they write.
package text
