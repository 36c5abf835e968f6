package transfer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/mugai-project/mugai/internal/auth"
)

// historyList is what a list page shows: the search form, the rows of
// one page of the history and the links to the pages around it.
type historyList struct {
	Query              historyQuery
	Items              []*listItem
	Total, Page, Pages int
	Prev, Next         string
	Count              string // "N items, a–b shown"
	Statuses, Sorts    []option
	Filtered           bool
	SearchOpen         bool // the search form shows unfolded
}

// option is one choice of the search form.
type option struct {
	Value, Words string
	Selected     bool
}

// listItem is one item as a list row shows it, in the page's language.
type listItem struct {
	*Item
	View       itemView // the upload site's words for its state and report
	OwnerName  string   // display names, not user IDs
	ToNames    []string
	Summary    []string   // the download site's report
	Files      []listFile // the download site's outputs
	Downloaded bool       // the user took at least one output
	Available  bool       // the outputs can be downloaded now
	Mine       bool
	CSRF       string `json:"-"`
	Sig        string `json:"-"`
}

// listFile is one sanitized output in the download list.
type listFile struct {
	OutputFile
	URL        string
	Value      string // the bulk form's value: item ID/index
	Downloaded bool
}

// list builds the page of the history that q asks for, as the user of
// sess sees it on zone, in language l.
func (s *Server) list(ctx context.Context, zone string, sess *auth.Session, l string, q historyQuery) (*historyList, error) {
	user := sess.User.Name
	items, total, page, err := s.history(ctx, zone, user, q)
	if err != nil {
		return nil, err
	}
	marks, err := s.downloads(ctx, user, items)
	if err != nil {
		return nil, err
	}
	names := s.displayNames(ctx, items)
	hl := &historyList{Query: q, Total: total, Page: page, Pages: max(1, (total+historyPageSize-1)/historyPageSize), Filtered: q.filtered()}
	hl.SearchOpen = hl.Filtered || zone == ZoneDownload
	hl.Count = words(l)("page.history.count_none")
	if total > 0 {
		first := (page-1)*historyPageSize + 1
		hl.Count = words(l)("page.history.count", total, first, first+len(items)-1)
	}
	if page > 1 {
		hl.Prev = q.values(page - 1)
	}
	if page < hl.Pages {
		hl.Next = q.values(page + 1)
	}
	for _, c := range historyStatuses[zone] {
		hl.Statuses = append(hl.Statuses, option{Value: c.key, Words: c.words, Selected: c.key == q.Status})
	}
	sortKey := q.Sort
	if sortKey == "" {
		sortKey = historySorts[0].key
	}
	for _, c := range historySorts {
		hl.Sorts = append(hl.Sorts, option{Value: c.key, Words: c.words, Selected: c.key == sortKey})
	}
	now := s.opts.Now()
	for _, it := range items {
		li := &listItem{Item: it, View: s.view(it, l), OwnerName: names[it.Owner], Mine: it.Owner == user,
			Available: it.downloadable(now), Downloaded: len(marks[it.ID]) > 0, CSRF: sess.CSRF}
		for _, r := range it.Recipients {
			li.ToNames = append(li.ToNames, names[r])
		}
		if zone == ZoneDownload {
			li.Summary = reportLines(it.Report, l)
			for _, o := range it.Outputs {
				n := strconv.Itoa(o.Index)
				li.Files = append(li.Files, listFile{OutputFile: o, URL: "/files/" + it.ID + "/" + n, Value: it.ID + "/" + n, Downloaded: marks[it.ID][o.Index]})
			}
		}
		li.Sig = sig(li)
		hl.Items = append(hl.Items, li)
	}
	return hl, nil
}

// rowTemplates names, for each site, the page and the template of one
// row of its list (rendered in the page and again for its event stream).
var rowTemplates = map[string][2]string{ZoneUpload: {"upload", "item"}, ZoneDownload: {"download", "files"}}

// renderRow renders one row as its page shows it.
func (s *Server) renderRow(l, zone string, li *listItem) (string, error) {
	var b strings.Builder
	t := rowTemplates[zone]
	err := s.tmpl[l+"/"+t[0]].ExecuteTemplate(&b, t[1], li)
	return b.String(), err
}

// renderList renders a list page with the history its query string asks for.
func (s *Server) renderList(w http.ResponseWriter, r *http.Request, zone string, p page) {
	l := lang(r)
	hl, err := s.list(r.Context(), zone, session(r), l, parseHistoryQuery(zone, r.URL.Query()))
	if err != nil {
		s.log.Error("history", "zone", zone, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	p.List = hl
	s.render(w, r, zone, rowTemplates[zone][0], p, http.StatusOK)
}

// sig is a short fingerprint of what a row shows, so that the event
// stream sends, and the page replaces, only rows that changed.
func sig(v any) string {
	b, _ := json.Marshal(v)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}
