// Package mail is mugai's mail 無害化: it reads an Internet message
// (RFC 5322, MIME RFC 2045–2049) leniently and within limits, and writes a
// new message that mugai built itself: a UTF-8 text/plain body with a
// Japanese notice at the top, the kept header fields re-encoded, and as
// attachments only the outputs of the sanitizer engine for each part.
//
// Reading. The message is parsed on github.com/emersion/go-message's
// textproto package (multipart splitting, part headers) with mugai's own
// walk on top, because go-message's Entity.Walk has no depth or part
// limits (RFC 2046 §5.1 nests without bound):
//
//   - lines may end in CRLF, LF or, throughout a message, CR alone (QUIRK:
//     old Mac OS mailers), which is read as CRLF;
//   - the top-level header is read by a bounded, lenient reader (header
//     count, header bytes, line length); an mbox "From " first line is
//     skipped and a line that is neither a field nor a continuation ends
//     the header, as Postfix's cleanup does (both QUIRKs seen in the wild);
//     an item in which no header field can be read is not a message and
//     is withheld, whoever claimed it was one (sanitizer.Input.Kind);
//   - each multipart body passes through a guard that bounds every part
//     header the same way before go-message sees it, drops the preamble
//     and epilogue (RFC 2046 §5.1.1), and repairs malformed part headers;
//   - MIME depth and part count are checked before descending, so a deeply
//     nested message is withheld after reading only its first levels;
//   - transfer encodings (RFC 2045 §6) and charsets are decoded here, not by
//     go-message, so that an unknown one is reported and decoded
//     best-effort instead of passed through, and so that no part is ever
//     cut short: quoted-printable keeps what is not valid quoted-printable
//     as it is (QUIRK: Exchange Online writes raw ISO-2022-JP escapes into
//     it), base64 skips what is not in its alphabet and reads runs
//     padded one after the other (a line of text after the padding ends
//     the data and is reported). Japanese charsets
//     are looked up in a local table (cp932, Windows-31J, x-sjis,
//     Shift_JIS, EUC-JP, ISO-2022-JP) before go-message's charset
//     package; no global registry is changed.
//
// Header fields. From, Sender, To, Cc, Reply-To, Subject, Date,
// Message-ID, In-Reply-To, References and Received are kept; everything
// else is dropped, notably fields a client acts on (Disposition-
// Notification-To, List-Unsubscribe-Post, Return-Receipt-To). RFC 2047
// encoded words are decoded in any charset, including the broken forms
// Japanese mail carries: raw 8-bit bytes in a header (read as UTF-8 when
// they are, else as ISO-2022-JP, Shift_JIS, EUC-JP or Windows-1252, the
// Latin-1 of Western senders, by the scoring of charset.SniffLatin, which
// body parts without a usable label get too), and encoded words split in
// the middle of a character (adjacent words
// of one charset are joined before decoding, which RFC 2047 §5 does not
// require but senders rely on). Values are re-encoded as UTF-8 encoded
// words folded at 78 columns (RFC 5322 §2.1.1); CR, LF and other controls
// that decoding reveals are removed, never written.
//
// Body. multipart/alternative yields its text/plain part unless it is
// empty, else its HTML converted to text (sanitizer/text); a text/calendar
// alternative (an invitation, RFC 6047 §2.4) is kept as an attachment
// rebuilt by sanitizer/calendar, and the notice sums up each event
// (title, 日時, 場所, 主催者). Links are kept,
// defanged or removed per policy, and every URL found is listed in the
// report. The result is text/plain; charset=UTF-8 (or ISO-2022-JP on
// request, falling back to UTF-8 when a character does not fit), CRLF,
// in quoted-printable or base64 so that every line stays within 998
// octets (RFC 5322 §2.1.1).
//
// Attachments. Every other part, whatever its declared type or
// disposition, goes through the engine (Job.Child), which detects it by
// content; only the engine's outputs are attached, with RFC 2231 UTF-8
// file names, text ones with charset=UTF-8 (a reader without it guesses:
// Outlook in Japan takes Shift_JIS). message/rfc822 parts come back to this package through the
// engine and are attached as sanitized messages. S/MIME and PGP
// signatures are removed with a note; encrypted parts are held. Inline
// cid: images are dropped (counted) or attached per option.
//
// Verification. Verifiers checks every EML output again with Go's
// net/mail and mime/multipart, sharing no parsing code with the
// sanitizer (see VerifyMessage).
//
// TNEF (winmail.dat, [MS-OXTNEF]) is unpacked by a small streaming reader
// here (no Go TNEF library is available to mugai): its attachments go to
// the engine one by one; its rich-text body and MAPI properties are
// dropped.
//
// Divergences: text that would read as an active tag in a header or
// body ("<script", "</iframe", "<base", "<a href") has its "<" replaced
// by "＜"
// (or "[" in ASCII-only fields) and is reported, so that no reader can
// take it for markup. NUL bytes, raw or revealed by a transfer encoding,
// are removed wherever they are and reported (mail-nul-bytes); the
// detector knows a message by its header even when NULs or raw bytes of
// two charsets make it no text file.
package mail
