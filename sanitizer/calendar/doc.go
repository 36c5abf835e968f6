// Package calendar rebuilds iCalendar files (RFC 5545, text/calendar,
// .ics): meeting invitations sent by mail or uploaded as files. It reads
// the content lines, keeps an allow-list of components and properties,
// and writes a new calendar of its own: UTF-8, CRLF line ends, lines
// folded at 75 octets (§3.1), text escaped (§3.3.11), VERSION 2.0 and
// mugai's PRODID. What it keeps:
//
//   - VEVENT and VTODO with UID, DTSTAMP, DTSTART, DTEND, DUE, DURATION,
//     RRULE, RDATE, EXDATE, RECURRENCE-ID, SUMMARY, LOCATION, DESCRIPTION,
//     COMMENT, CATEGORIES, ORGANIZER, ATTENDEE, STATUS, TRANSP, CLASS,
//     SEQUENCE, PRIORITY, CREATED, LAST-MODIFIED and GEO;
//   - VTIMEZONE with its STANDARD and DAYLIGHT rules (TZID, DTSTART,
//     TZOFFSETFROM, TZOFFSETTO, TZNAME, RRULE, RDATE);
//   - the calendar's METHOD (RFC 5546 §1.4) and CALSCALE GREGORIAN.
//
// Everything else is dropped and counted: ATTACH (files inline in base64
// or by URL), X-ALT-DESC and every other X- property (HTML descriptions),
// URL, CONFERENCE, IMAGE, ALTREP and DIR parameters, VALARM (alarms run
// procedures, send mail and play attachments), VJOURNAL, VFREEBUSY and
// unknown components. Text values are unescaped, cleaned of control
// characters, given the links policy of sanitizer/text (ApplyLinks: URLs
// defanged by default) and script schemes (javascript:, vbscript:, data:)
// are broken; ORGANIZER and ATTENDEE keep a mailto: address and a common
// name only; dates, durations, offsets and recurrence rules are checked
// against their grammar (§3.3) and rebuilt. VerifyCalendar checks the
// output again with code of its own.
//
// The content line parser is written here rather than taken from a
// library: github.com/emersion/go-ical panics on a parameter without a
// value at the end of a line, bounds neither line length nor nesting, and
// writes lines without folding them; github.com/arran4/golang-ical keeps
// unknown properties and components as it found them, the opposite of an
// allow-list. The grammar needed for an allow-list is a few dozen lines.
//
// Divergences: line ends of LF alone are accepted (QUIRK: many
// generators), and a file in another charset than UTF-8 (Shift_JIS from
// old Japanese clients) is decoded with the charset the detector found.
// Lines that are not content lines make the file malformed, and it is
// withheld; so is a calendar with no event or to-do left.
package calendar
