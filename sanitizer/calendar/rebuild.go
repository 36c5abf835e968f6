package calendar

import (
	"strings"

	"github.com/mugai-project/mugai/sanitizer/text"
)

// valueKind says how a kept property's value is checked and rewritten.
type valueKind int

const (
	vText     valueKind = iota // TEXT: unescaped, cleaned, links policy, escaped again
	vTextList                  // TEXT, comma-separated (CATEGORIES)
	vDate                      // DATE or DATE-TIME
	vDateList                  // comma-separated DATE or DATE-TIME (EXDATE, RDATE)
	vDuration                  // DURATION
	vAddress                   // CAL-ADDRESS: mailto: only
	vRule                      // RECUR
	vInteger                   // INTEGER
	vOffset                    // UTC-OFFSET
	vToken                     // an enumerated word (STATUS, TRANSP, CLASS, METHOD)
	vGeo                       // GEO
	vUID                       // UID: text of one line
)

// kept are the properties kept, per component, with their value kind.
var kept = map[string]map[string]valueKind{
	"VCALENDAR": {"METHOD": vToken, "CALSCALE": vToken},
	"VEVENT":    eventProps,
	"VTODO":     eventProps,
	"VTIMEZONE": {"TZID": vUID, "LAST-MODIFIED": vDate},
	"STANDARD":  tzRuleProps,
	"DAYLIGHT":  tzRuleProps,
}

var eventProps = map[string]valueKind{
	"UID": vUID, "DTSTAMP": vDate, "DTSTART": vDate, "DTEND": vDate, "DUE": vDate, "DURATION": vDuration,
	"RRULE": vRule, "RDATE": vDateList, "EXDATE": vDateList, "RECURRENCE-ID": vDate,
	"SUMMARY": vText, "LOCATION": vText, "DESCRIPTION": vText, "COMMENT": vText, "CATEGORIES": vTextList,
	"ORGANIZER": vAddress, "ATTENDEE": vAddress, "STATUS": vToken, "TRANSP": vToken, "CLASS": vToken,
	"SEQUENCE": vInteger, "PRIORITY": vInteger, "CREATED": vDate, "LAST-MODIFIED": vDate, "GEO": vGeo,
}

var tzRuleProps = map[string]valueKind{
	"DTSTART": vDate, "TZOFFSETFROM": vOffset, "TZOFFSETTO": vOffset, "TZNAME": vUID, "RRULE": vRule, "RDATE": vDateList,
}

// keptParams are the parameters kept, per value kind; all others (ALTREP,
// DIR, SENT-BY, FMTTYPE, X- parameters …) are dropped.
var keptParams = map[valueKind][]string{
	vText:     {"LANGUAGE"},
	vTextList: {"LANGUAGE"},
	vDate:     {"TZID", "VALUE"},
	vDateList: {"TZID", "VALUE"},
	vAddress:  {"CN", "ROLE", "PARTSTAT", "RSVP", "CUTYPE"},
}

// kinds of the components kept; their children are checked in turn.
var keptComponents = map[string][]string{
	"VCALENDAR": {"VEVENT", "VTODO", "VTIMEZONE"},
	"VTIMEZONE": {"STANDARD", "DAYLIGHT"},
}

// removal names what was dropped, for the report.
type removal struct {
	attachments, htmlDescriptions, alarms, components, properties, parameters, invalid int
}

// rebuilder builds the allowed copy of a parsed calendar.
type rebuilder struct {
	links string // the links policy (text.LinksDefang, …)
	urls  int    // URLs the links policy changed or kept
	rm    removal
}

// component returns the allowed copy of c, which is of a kept kind.
func (rb *rebuilder) component(c *component) *component {
	out := &component{name: c.name}
	allowed := kept[c.name]
	for i := range c.props {
		p := &c.props[i]
		vk, ok := allowed[p.name]
		if !ok {
			rb.dropped(p)
			continue
		}
		if np, ok := rb.prop(p, vk); ok {
			out.props = append(out.props, np)
		} else {
			rb.rm.invalid++
		}
	}
	for _, ch := range c.children {
		ok := false
		for _, k := range keptComponents[c.name] {
			ok = ok || ch.name == k
		}
		switch {
		case ok:
			out.children = append(out.children, rb.component(ch))
		case ch.name == "VALARM":
			rb.rm.alarms++
			rb.countAttachments(ch)
		default:
			rb.rm.components++
			rb.countAttachments(ch)
		}
	}
	return out
}

// countAttachments counts the ATTACH properties of a dropped component.
func (rb *rebuilder) countAttachments(c *component) {
	for _, p := range c.props {
		if p.name == "ATTACH" {
			rb.rm.attachments++
		}
	}
	for _, ch := range c.children {
		rb.countAttachments(ch)
	}
}

func (rb *rebuilder) dropped(p *prop) {
	switch {
	case p.name == "ATTACH":
		rb.rm.attachments++
	case p.name == "X-ALT-DESC" || strings.EqualFold(strings.Join(p.param("FMTTYPE"), ""), "text/html"):
		rb.rm.htmlDescriptions++
	default:
		rb.rm.properties++
	}
}

// prop checks and rewrites one kept property; ok is false when its value
// does not follow its grammar.
func (rb *rebuilder) prop(p *prop, vk valueKind) (prop, bool) {
	out := prop{name: p.name}
	for _, pa := range p.params {
		if !contains(keptParams[vk], pa.name) {
			rb.rm.parameters++
			continue
		}
		np, ok := keptParam(pa)
		if !ok {
			rb.rm.parameters++
			continue
		}
		out.params = append(out.params, np)
	}
	v, ok := rb.value(p.value, vk, p.name)
	out.value = v
	return out, ok
}

// keptParam checks one kept parameter's values.
func keptParam(pa param) (param, bool) {
	out := param{name: pa.name}
	for _, v := range pa.values {
		switch pa.name {
		case "CN", "TZID":
			v = paramText(v)
		default: // LANGUAGE, VALUE, ROLE, PARTSTAT, RSVP, CUTYPE: tokens
			if !reToken.MatchString(v) {
				return param{}, false
			}
			v = strings.ToUpper(v)
			if pa.name == "LANGUAGE" {
				v = strings.ToLower(v)
			}
		}
		if v == "" {
			return param{}, false
		}
		out.values = append(out.values, v)
	}
	return out, len(out.values) > 0 && len(out.values) <= 10
}

// value checks and rewrites a value of kind vk.
func (rb *rebuilder) value(v string, vk valueKind, name string) (string, bool) {
	switch vk {
	case vText:
		return rb.text(v, name == "DESCRIPTION" || name == "COMMENT"), true
	case vTextList:
		return rb.text(v, false), true
	case vUID:
		s := paramText(unescapeText(v))
		return escapeText(s), s != "" && len(s) <= 255
	case vDate:
		return dateList(strings.ToUpper(v), false)
	case vDateList:
		return dateList(strings.ToUpper(v), true)
	case vDuration:
		return strings.ToUpper(v), reDuration.MatchString(strings.ToUpper(v))
	case vAddress:
		return calAddress(v)
	case vRule:
		return rrule(v)
	case vInteger:
		return v, reInteger.MatchString(v)
	case vOffset:
		return v, reOffset.MatchString(v)
	case vToken:
		return strings.ToUpper(v), reToken.MatchString(v)
	case vGeo:
		return v, reGeo.MatchString(v)
	}
	return "", false
}

// text rewrites a TEXT value: unescaped, cleaned, links policy, script
// schemes and tag starts broken, escaped again. Line feeds are kept
// where the property is multi-line (DESCRIPTION, COMMENT).
func (rb *rebuilder) text(v string, lines bool) string {
	s := cleanText(unescapeText(v), lines)
	s = text.ApplyLinks(s, rb.links, func(string) { rb.urls++ })
	return escapeText(defangText(s))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
