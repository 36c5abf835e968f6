package calendar

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// maxDepth bounds component nesting: VCALENDAR > VTIMEZONE > STANDARD
// and VCALENDAR > VEVENT > VALARM are three deep.
const maxDepth = 4

// errMalformed is wrapped by parse errors of the grammar, errLimit by
// those of the limits.
var (
	errMalformed = errors.New("calendar: malformed iCalendar")
	errLimit     = errors.New("calendar: limit exceeded")
)

// param is one property parameter (RFC 5545 §3.2), values unquoted.
type param struct {
	name   string // upper case
	values []string
}

// prop is one content line: name, parameters and raw value (§3.1).
type prop struct {
	name   string // upper case
	params []param
	value  string
}

// param returns the values of the parameter name, or nil.
func (p *prop) param(name string) []string {
	for _, pa := range p.params {
		if pa.name == name {
			return pa.values
		}
	}
	return nil
}

// component is a BEGIN … END block (§3.4, §3.6).
type component struct {
	name     string // upper case
	props    []prop
	children []*component
}

// parse reads one VCALENDAR object from r within the limits of o.
func parse(r io.Reader, o Options) (*component, error) {
	maxComponents, maxProps := o.MaxComponents, o.MaxProperties
	lr := &lineReader{br: bufio.NewReaderSize(r, 64<<10), max: o.MaxLineBytes}
	var stack []*component
	var root *component
	comps, props := 0, 0
	for {
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		p, err := parseLine(line)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", errMalformed, lr.n, err)
		}
		switch p.name {
		case "BEGIN":
			name := strings.ToUpper(p.value)
			if !isName(name) {
				return nil, fmt.Errorf("%w: line %d: BEGIN:%q", errMalformed, lr.n, p.value)
			}
			if root != nil && len(stack) == 0 {
				return nil, fmt.Errorf("%w: line %d: content after END:VCALENDAR", errMalformed, lr.n)
			}
			if len(stack) == maxDepth {
				return nil, fmt.Errorf("%w: components nested deeper than %d", errLimit, maxDepth)
			}
			if comps++; comps > maxComponents {
				return nil, fmt.Errorf("%w: more than %d components", errLimit, maxComponents)
			}
			c := &component{name: name}
			if len(stack) == 0 {
				if name != "VCALENDAR" {
					return nil, fmt.Errorf("%w: the file starts with BEGIN:%s", errMalformed, name)
				}
				root = c
			} else {
				top := stack[len(stack)-1]
				top.children = append(top.children, c)
			}
			stack = append(stack, c)
		case "END":
			if len(stack) == 0 || !strings.EqualFold(p.value, stack[len(stack)-1].name) {
				return nil, fmt.Errorf("%w: line %d: END:%s does not close a component", errMalformed, lr.n, p.value)
			}
			stack = stack[:len(stack)-1]
		default:
			if len(stack) == 0 {
				return nil, fmt.Errorf("%w: line %d: %s outside a component", errMalformed, lr.n, p.name)
			}
			if props++; props > maxProps {
				return nil, fmt.Errorf("%w: more than %d properties", errLimit, maxProps)
			}
			top := stack[len(stack)-1]
			top.props = append(top.props, p)
		}
	}
	if root == nil {
		return nil, fmt.Errorf("%w: no VCALENDAR", errMalformed)
	}
	if len(stack) > 0 {
		return nil, fmt.Errorf("%w: %s is not closed", errMalformed, stack[len(stack)-1].name)
	}
	return root, nil
}

// lineReader unfolds content lines (§3.1): a line end followed by one
// space or TAB continues the line.
type lineReader struct {
	br      *bufio.Reader
	max     int    // longest unfolded line
	pending []byte // the next physical line, already read
	n       int    // physical line number, for errors
	eof     bool
}

// physical returns the next physical line without its line end.
func (lr *lineReader) physical() ([]byte, error) {
	if lr.pending != nil {
		l := lr.pending
		lr.pending = nil
		return l, nil
	}
	if lr.eof {
		return nil, io.EOF
	}
	var line []byte
	for {
		chunk, err := lr.br.ReadSlice('\n')
		if len(line)+len(chunk) > lr.max+2 {
			return nil, fmt.Errorf("%w: a line is longer than %d bytes", errLimit, lr.max)
		}
		line = append(line, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			lr.eof = true
			if len(line) == 0 {
				return nil, io.EOF
			}
		} else if err != nil {
			return nil, err
		}
		break
	}
	lr.n++
	line = []byte(strings.TrimSuffix(strings.TrimSuffix(string(line), "\n"), "\r"))
	return line, nil
}

// next returns the next unfolded, non-empty content line.
func (lr *lineReader) next() (string, error) {
	for {
		first, err := lr.physical()
		if err != nil {
			return "", err
		}
		if len(first) == 0 {
			continue // QUIRK: blank lines, which some generators add
		}
		var b strings.Builder
		b.Write(first)
		for {
			l, err := lr.physical()
			if err == io.EOF {
				break
			}
			if err != nil {
				return "", err
			}
			if len(l) == 0 || (l[0] != ' ' && l[0] != '\t') {
				lr.pending = l
				break
			}
			if b.Len()+len(l) > lr.max {
				return "", fmt.Errorf("%w: a content line is longer than %d bytes", errLimit, lr.max)
			}
			b.Write(l[1:])
		}
		s := b.String()
		if !utf8.ValidString(s) {
			return "", fmt.Errorf("%w: line %d is not UTF-8", errMalformed, lr.n)
		}
		return s, nil
	}
}

// parseLine splits a content line: name *(";" param) ":" value (§3.1).
func parseLine(s string) (prop, error) {
	i := strings.IndexAny(s, ";:")
	if i <= 0 {
		return prop{}, errors.New("not a content line")
	}
	p := prop{name: strings.ToUpper(s[:i])}
	if !isName(p.name) {
		return prop{}, fmt.Errorf("property name %q", s[:i])
	}
	s = s[i:]
	for s[0] == ';' {
		s = s[1:]
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return prop{}, errors.New("a parameter without a value")
		}
		pa := param{name: strings.ToUpper(s[:eq])}
		if !isName(pa.name) {
			return prop{}, fmt.Errorf("parameter name %q", s[:eq])
		}
		s = s[eq+1:]
		for {
			var v string
			if strings.HasPrefix(s, `"`) {
				end := strings.IndexByte(s[1:], '"')
				if end < 0 {
					return prop{}, errors.New("an unterminated quoted parameter value")
				}
				v, s = s[1:1+end], s[2+end:]
			} else {
				end := strings.IndexAny(s, `;:,"`)
				if end < 0 {
					return prop{}, errors.New("no colon before the value")
				}
				if s[end] == '"' {
					return prop{}, errors.New("a double quote inside a parameter value")
				}
				v, s = s[:end], s[end:]
			}
			pa.values = append(pa.values, v)
			if s == "" {
				return prop{}, errors.New("no colon before the value")
			}
			if s[0] != ',' {
				break
			}
			s = s[1:]
		}
		p.params = append(p.params, pa)
		if s[0] != ';' && s[0] != ':' {
			return prop{}, errors.New("junk after a parameter value")
		}
	}
	p.value = s[1:]
	return p, nil
}

// isName reports whether s is an iana-token or x-name (§3.1): letters,
// digits and "-".
func isName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
