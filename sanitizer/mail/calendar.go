package mail

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/mugai-project/mugai/internal/catalog"
	"github.com/mugai-project/mugai/sanitizer/calendar"
	"github.com/mugai-project/mugai/sanitizer/detect"
)

// isCalendar reports whether ch was rebuilt as a calendar.
func isCalendar(ch *outcome) bool {
	for _, f := range ch.Files {
		if f.Kind == string(detect.Calendar) {
			return true
		}
	}
	return false
}

// keepCalendars moves the calendar children of an alternative that is
// not the one shown to c: an invitation sent as the text/calendar
// alternative of its own text (RFC 6047 §2.4, as Outlook and Exchange
// send them) stays attached and summarised in the notice. It reports
// whether the alternative held nothing else.
func keepCalendars(c, alt *collector) bool {
	rest := alt.children[:0]
	for _, ch := range alt.children {
		if isCalendar(ch) {
			c.children = append(c.children, ch)
		} else {
			rest = append(rest, ch)
		}
	}
	alt.children = rest
	return len(alt.frags) == 0 && len(alt.children) == 0
}

// calendarNotice words the events of a rebuilt calendar attachment for
// the notice: title, 日時, 場所 and 主催者, read from mugai's own output.
func calendarNotice(ch *outcome, display string) []NoticeLine {
	var l []NoticeLine
	for _, f := range ch.Files {
		if f.Kind != string(detect.Calendar) {
			continue
		}
		events, err := calendar.Summarize(f.Open())
		if err != nil {
			continue // the attachment itself is still there, verified
		}
		for _, e := range events {
			l = append(l, NoticeLine{Ja: eventLine(catalog.Japanese, display, e), En: eventLine(catalog.English, display, e)})
		}
	}
	return l
}

// verifyCalendarAttachment checks an attached calendar with the calendar
// package's own check, and for script tags as every text attachment.
func verifyCalendarAttachment(ctx context.Context, r io.ReaderAt, size int64) error {
	if err := calendar.VerifyCalendar(ctx, r, size); err != nil {
		return err
	}
	if containsScript(io.NewSectionReader(r, 0, size)) {
		return fmt.Errorf("calendar attachment contains <script")
	}
	return nil
}

// eventLine words one event in lang: its title, then 日時, 場所 and 主催者
// where the calendar gives them.
func eventLine(lang, display string, e calendar.Event) string {
	title := e.Summary
	if title == "" {
		title = catalog.Text(lang, "notice.calendar_no_title")
	}
	parts := []string{catalog.Text(lang, "notice.calendar_event", display, title)}
	for _, kv := range [][2]string{{"notice.calendar_when", e.When}, {"notice.calendar_where", e.Location}, {"notice.calendar_organizer", e.Organizer}} {
		if kv[1] != "" {
			parts = append(parts, catalog.Text(lang, kv[0], kv[1]))
		}
	}
	return strings.Join(parts, " / ")
}
