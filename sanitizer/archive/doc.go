// Package archive sanitizes zip, tar and gzip archives by rebuilding them:
// every file inside goes through the sanitizer engine again (one level
// deeper, so the engine's depth limit applies), and a new zip is written
// from what the engine built, with safe names. Nothing of the input's
// bytes is copied: not its headers, comments, extra fields or timestamps
// beyond the DOS date.
//
// Formats:
//
//   - ZIP, after PKWARE's APPNOTE.TXT 6.3.10: stored, deflated (RFC 1951)
//     and bzip2 entries, Zip64 (§4.3.14, §4.5.3), the language encoding
//     flag (Appendix D), the Info-ZIP Unicode Path extra field (§4.6.9).
//     Traditional PKWARE encryption (§6.1, "ZipCrypto") and WinZip AES
//     (AE-1 and AE-2) are opened when a password is given (PPAP);
//     without one the entry is held.
//   - tar (POSIX ustar, pax and GNU, through archive/tar), rebuilt as zip.
//   - gzip (RFC 1952), one member: its file is sanitized in its place.
//
// Limits (Options) hold for a whole archive tree: 1,000 files, 512 MiB
// uncompressed, 100:1 per entry. They are enforced by counting the bytes
// actually produced while streaming, never by believing sizes in headers;
// overlapping zip entries, the construction behind non-recursive zip
// bombs, are refused outright.
//
// Names: both '/' and '\' separate folders; "..", absolute paths and
// drive letters cannot leave the archive's root; every element is cleaned
// with detect.CleanName (bidi and control characters, reserved
// characters, leading and trailing dots) and kept off Windows device
// names; duplicates (compared without case) are numbered. Names are
// written as UTF-8 with the language encoding flag.
//
// Where it diverges from the specification, on purpose (fail closed):
// bytes before the first entry or after the end record, multi-disk
// archives, a Zip64 extensible data sector, PKWARE strong encryption, an
// encrypted central directory and compression methods other than store,
// deflate and bzip2 are refused. Names without the UTF-8 flag that are not
// valid UTF-8 are read as CP932 rather than CP437 (see zipsafe.DecodeName,
// the strict reader this package shares with office).
//
// The core (Rebuilder) takes a SanitizeFunc callback and can be used and
// tested without the engine; Handlers adapts it to the engine, Verifiers
// adds an independent check of the zips it writes.
package archive
