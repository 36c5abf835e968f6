package transfer

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// historyPageSize is how many items a list page shows at once.
const historyPageSize = 50

// historyQuery is what a list page asks for: a search, an order and a
// page. It lives in the URL's query string, so that a search can be
// bookmarked, works without JavaScript and is followed by the page's
// event stream as it is.
type historyQuery struct {
	Name     string // part of the file name, any case
	From, To string // local dates (YYYY-MM-DD), both included
	Status   string // a key of the site's historyStatuses
	Sort     string // a key of historySorts
	Page     int    // from 1
}

// choice is one option of a list's status or order.
type choice struct {
	key   string
	words string                           // catalog key
	sql   string                           // a status's condition on transfer_items, or an order's ORDER BY
	args  func(user string, now any) []any // now: a time column's value (meta.DB.Stamp)
}

// historySorts are the orders a list can take; the first is the default.
var historySorts = []choice{
	{key: "new", words: "page.history.sort_new", sql: "created DESC, id DESC"},
	{key: "old", words: "page.history.sort_old", sql: "created ASC, id ASC"},
	{key: "name", words: "page.history.sort_name", sql: "name ASC, created DESC"},
	{key: "name-desc", words: "page.history.sort_name_desc", sql: "name DESC, created DESC"},
	{key: "large", words: "page.history.sort_large", sql: "size DESC, created DESC"},
	{key: "small", words: "page.history.sort_small", sql: "size ASC, created DESC"},
}

// downloadedBy is the condition "the user downloaded an output of the item".
const downloadedBy = `EXISTS (SELECT 1 FROM transfer_downloads d WHERE d.user_name = ? AND d.item_id = transfer_items.id)`

func userArg(user string, _ any) []any { return []any{user} }
func nowArg(_ string, now any) []any   { return []any{now} }

// historyStatuses are the statuses each site's search offers; the first
// (everything) is the default.
var historyStatuses = map[string][]choice{
	ZoneUpload: {
		{key: "", words: "page.history.status_all"},
		{key: "active", words: "page.history.status_active", sql: `state IN ('received', 'processing')`},
		{key: "done", words: "page.history.status_done", sql: `state = 'done'`},
		{key: "held", words: "page.history.status_held", sql: `state = 'held'`},
		{key: "withheld", words: "page.history.status_withheld", sql: `state = 'withheld'`},
		{key: "downloaded", words: "page.history.status_downloaded", sql: downloadedBy, args: userArg},
		{key: "ended", words: "page.history.status_ended", sql: `state IN ('deleted', 'expired')`},
	},
	ZoneDownload: {
		{key: "", words: "page.history.status_all"},
		{key: "available", words: "page.history.status_available", sql: stateText + ` = 'done' AND expires > ?`, args: nowArg},
		{key: "new", words: "page.history.status_new", sql: stateText + ` = 'done' AND expires > ? AND NOT ` + downloadedBy,
			args: func(user string, now any) []any { return []any{now, user} }},
		{key: "downloaded", words: "page.history.status_downloaded", sql: downloadedBy, args: userArg},
		{key: "ended", words: "page.history.status_ended", sql: `(` + stateText + ` IN ('deleted', 'expired') OR expires <= ?)`, args: nowArg},
	},
}

// stateText is the state column as an expression, which no index serves.
// QUIRK: without table statistics SQLite's planner reads the download
// site's list through the index on state, that is through every user's
// finished items; on the expression it starts from the user's own items
// and those addressed to them (owner and recipient indexes). Both
// SQLite and PostgreSQL read || as concatenation.
const stateText = `(state || '')`

// historyBase is the set of items each site lists for a user: on the
// upload site the user's own uploads; on the download site what the
// user may take (their own and those addressed to them, once sanitized
// and approved) and what has since been deleted or has expired.
var historyBase = map[string]choice{
	ZoneUpload: {sql: `owner = ?`, args: userArg},
	ZoneDownload: {sql: `id IN (SELECT id FROM transfer_items WHERE owner = ? UNION SELECT item_id FROM transfer_recipients WHERE user_name = ?)
		AND ` + stateText + ` IN ('done', 'deleted', 'expired') AND approval IN ('', 'approved')`,
		args: func(user string, _ any) []any { return []any{user, user} }},
}

func find(cs []choice, key string) (choice, bool) {
	for _, c := range cs {
		if c.key == key {
			return c, true
		}
	}
	return cs[0], false
}

// parseHistoryQuery reads a list's query string; anything it does not
// know falls back to the default (all items, newest first, page 1).
func parseHistoryQuery(zone string, v url.Values) historyQuery {
	q := historyQuery{Name: strings.TrimSpace(v.Get("name")), Page: 1}
	if r := []rune(q.Name); len(r) > 200 {
		q.Name = string(r[:200])
	}
	for _, d := range []struct {
		in  string
		out *string
	}{{v.Get("from"), &q.From}, {v.Get("to"), &q.To}} {
		if _, err := time.ParseInLocation(time.DateOnly, d.in, time.Local); err == nil {
			*d.out = d.in
		}
	}
	if _, ok := find(historyStatuses[zone], v.Get("status")); ok {
		q.Status = v.Get("status")
	}
	if _, ok := find(historySorts, v.Get("sort")); ok {
		q.Sort = v.Get("sort")
	}
	if p, err := strconv.Atoi(v.Get("page")); err == nil && p > 1 && p < 1_000_000 {
		q.Page = p
	}
	return q
}

// values is the query string of q at page p, without the defaults.
func (q historyQuery) values(p int) string {
	v := url.Values{}
	for k, s := range map[string]string{"name": q.Name, "from": q.From, "to": q.To, "status": q.Status, "sort": q.Sort} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if p > 1 {
		v.Set("page", strconv.Itoa(p))
	}
	if len(v) == 0 {
		return "/"
	}
	return "/?" + v.Encode()
}

// filtered reports whether q narrows the list.
func (q historyQuery) filtered() bool {
	return q.Name != "" || q.From != "" || q.To != "" || q.Status != ""
}

// dayBound is the instant the local date starts, days later.
func dayBound(date string, days int) time.Time {
	d, _ := time.ParseInLocation(time.DateOnly, date, time.Local)
	return d.AddDate(0, 0, days)
}

// likePattern matches names containing s: LIKE's wildcards in s are
// escaped with a backslash, and ASCII letters are lowered as SQL's LOWER
// lowers them.
func likePattern(s string) string {
	var b strings.Builder
	b.WriteByte('%')
	for _, r := range s {
		switch {
		case r == '%' || r == '_' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('%')
	return b.String()
}

// history runs q for user on a site: the items of its page, in its
// order, with their outputs and recipients, and how many match in all.
// The search and the paging are done by the database (the indexes on
// owner, recipient and time serve them), in SQL that PostgreSQL reads as
// well.
func (s *Server) history(ctx context.Context, zone, user string, q historyQuery) ([]*Item, int, int, error) {
	cond, args := s.historyWhere(zone, user, q)
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM transfer_items WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, 0, err
	}
	page := q.Page
	if last := max(1, (total+historyPageSize-1)/historyPageSize); page > last {
		page = last
	}
	items, err := s.queryItems(ctx, `WHERE `+cond+` ORDER BY `+historyOrder(q)+` LIMIT ? OFFSET ?`,
		append(args, historyPageSize, (page-1)*historyPageSize)...)
	return items, total, page, err
}

// historyWhere is the condition on transfer_items that q asks for on
// zone, for user now, and its arguments.
func (s *Server) historyWhere(zone, user string, q historyQuery) (string, []any) {
	now := s.db.Stamp(s.opts.Now())
	base := historyBase[zone]
	where := []string{"(" + base.sql + ")"}
	args := base.args(user, now)
	if q.Name != "" {
		where = append(where, `LOWER(name) LIKE ? ESCAPE '\'`)
		args = append(args, likePattern(q.Name))
	}
	if q.From != "" {
		where = append(where, `created >= ?`)
		args = append(args, s.db.Stamp(dayBound(q.From, 0)))
	}
	if q.To != "" {
		where = append(where, `created < ?`)
		args = append(args, s.db.Stamp(dayBound(q.To, 1)))
	}
	if st, _ := find(historyStatuses[zone], q.Status); st.sql != "" {
		where = append(where, "("+st.sql+")")
		if st.args != nil {
			args = append(args, st.args(user, now)...)
		}
	}
	return strings.Join(where, " AND "), args
}

// historyOrder is the ORDER BY that q asks for.
func historyOrder(q historyQuery) string {
	order, _ := find(historySorts, q.Sort)
	return order.sql
}

// downloads returns which outputs of items user has downloaded: item ID
// → output indexes.
func (s *Server) downloads(ctx context.Context, user string, items []*Item) (map[string]map[int]bool, error) {
	out := map[string]map[int]bool{}
	if len(items) == 0 {
		return out, nil
	}
	args := []any{user}
	for _, it := range items {
		args = append(args, it.ID)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT item_id, idx FROM transfer_downloads WHERE user_name = ? AND item_id IN (?`+
		strings.Repeat(", ?", len(items)-1)+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		if out[id] == nil {
			out[id] = map[int]bool{}
		}
		out[id][n] = true
	}
	return out, rows.Err()
}

// markDownloaded remembers that user took output n of an item (the first
// time only), for the ダウンロード済み mark.
func (s *Server) markDownloaded(ctx context.Context, user, id string, n int) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO transfer_downloads (user_name, item_id, idx, first_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_name, item_id, idx) DO NOTHING`, user, id, n, s.db.Stamp(s.opts.Now()))
	s.hub.notify()
	return err
}

// displayNames maps user names to the names people know them by (the
// display name, or the user name when it has none). Unknown users keep
// their user name.
func (s *Server) displayNames(ctx context.Context, items []*Item) map[string]string {
	out := map[string]string{}
	for _, it := range items {
		for _, n := range append([]string{it.Owner}, it.Recipients...) {
			if _, ok := out[n]; ok {
				continue
			}
			out[n] = n
			if u, err := s.users.User(ctx, n); err == nil && u.DisplayName != "" {
				out[n] = u.DisplayName
			}
		}
	}
	return out
}
