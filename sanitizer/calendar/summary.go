package calendar

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Event is what a person reads first about an event or to-do of a
// rebuilt calendar: its title, when, where and who invites.
type Event struct {
	Summary, When, Location, Organizer string
}

// jst is the time zone the summary shows UTC times in.
var jst = time.FixedZone("JST", 9*60*60)

// Summarize reads the events and to-dos of a calendar that this package
// rebuilt (an output of its handler) for a readable summary, such as the
// lines a sanitized mail's notice adds.
func Summarize(r io.Reader) ([]Event, error) {
	cal, err := parse(r, Options{}.withDefaults())
	if err != nil {
		return nil, err
	}
	var out []Event
	for _, c := range cal.children {
		if c.name != "VEVENT" && c.name != "VTODO" {
			continue
		}
		var e Event
		var start, end string
		for i := range c.props {
			p := &c.props[i]
			switch p.name {
			case "SUMMARY":
				e.Summary = oneLine(p.value)
			case "LOCATION":
				e.Location = oneLine(p.value)
			case "ORGANIZER":
				e.Organizer = strings.TrimPrefix(p.value, "mailto:")
				if cn := p.param("CN"); len(cn) > 0 {
					e.Organizer = cn[0] + " <" + e.Organizer + ">"
				}
			case "DTSTART":
				start = when(p)
			case "DTEND", "DUE":
				end = when(p)
			}
		}
		e.When = start
		if end != "" && end != start {
			e.When += " 〜 " + end
		}
		out = append(out, e)
	}
	return out, nil
}

// oneLine is a TEXT value unescaped for reading, on one line, at most
// 200 characters.
func oneLine(v string) string {
	s := strings.Join(strings.Fields(unescapeText(v)), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}

// when writes a DATE or DATE-TIME for people: UTC times in JST, local
// times with their time zone's name, dates as whole days (終日).
func when(p *prop) string {
	v := p.value
	tz := ""
	if t := p.param("TZID"); len(t) > 0 {
		tz = " (" + t[0] + ")"
	}
	if t, err := time.Parse("20060102T150405Z", v); err == nil {
		return t.In(jst).Format("2006/01/02 15:04") + " (JST)"
	}
	if t, err := time.Parse("20060102T150405", v); err == nil {
		return t.Format("2006/01/02 15:04") + tz
	}
	if t, err := time.Parse("20060102", v); err == nil {
		return t.Format("2006/01/02") + " (終日)"
	}
	return fmt.Sprintf("%.40s", v)
}
