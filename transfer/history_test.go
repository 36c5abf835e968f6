package transfer

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mugai-project/mugai/internal/auth"
	"github.com/mugai-project/mugai/internal/meta"
	"github.com/mugai-project/mugai/internal/meta/metatest"
)

// addItems records n finished items of owner directly in the database,
// named name-000.txt on, one minute apart (the newest last), each in
// state st.
func (ts *testSite) addItems(owner, prefix string, n int, st State, to ...string) []*Item {
	ts.t.Helper()
	ctx := context.Background()
	start := ts.clock.Now().Add(-time.Duration(n) * time.Minute)
	var out []*Item
	for i := range n {
		created := start.Add(time.Duration(i) * time.Minute)
		it := &Item{ID: fmt.Sprintf("%s-%s-%03d", owner, prefix, i), Owner: owner, Name: fmt.Sprintf("%s-%03d.txt", prefix, i), Size: int64(100 + i),
			SHA256: strings.Repeat("0", 64), State: st, Created: created, Expires: created.Add(7 * 24 * time.Hour), Recipients: to}
		if err := ts.s.insertItems(ctx, []*Item{it}); err != nil {
			ts.t.Fatal(err)
		}
		out = append(out, it)
	}
	return out
}

func TestHistoryPagingSearchSort(t *testing.T) {
	metatest.Each(t, func(t *testing.T, db *meta.DB) {
		ts := startSite(t, Options{PlainHTTP: true, DB: db})
		ts.addItems("alice", "memo", 120, Withheld)
		ts.addItems("alice", "予算", 3, Held)
		ts.addItems("bob", "memo", 5, Withheld) // not alice's
		ctx := context.Background()
		ids := func(items []*Item) []string {
			var out []string
			for _, it := range items {
				out = append(out, it.Name)
			}
			return out
		}
		for _, tc := range []struct {
			name        string
			q           historyQuery
			total, page int
			first, last string
		}{
			{"newest first", historyQuery{Page: 1}, 123, 1, "予算-002.txt", "memo-073.txt"},
			{"page 3", historyQuery{Page: 3}, 123, 3, "memo-022.txt", "memo-000.txt"},
			{"page past the end is the last", historyQuery{Page: 99}, 123, 3, "memo-022.txt", "memo-000.txt"},
			{"oldest first", historyQuery{Sort: "old", Page: 1}, 123, 1, "memo-000.txt", "memo-049.txt"},
			{"by name", historyQuery{Sort: "name", Page: 1}, 123, 1, "memo-000.txt", "memo-049.txt"},
			{"largest first", historyQuery{Sort: "large", Page: 1}, 123, 1, "memo-119.txt", "memo-070.txt"},
			{"part of a name", historyQuery{Name: "MEMO-11", Page: 1}, 10, 1, "memo-119.txt", "memo-110.txt"},
			{"Japanese name", historyQuery{Name: "予算", Page: 1}, 3, 1, "予算-002.txt", "予算-000.txt"},
			{"status", historyQuery{Status: "held", Page: 1}, 3, 1, "予算-002.txt", "予算-000.txt"},
			{"LIKE wildcards are literal", historyQuery{Name: "%", Page: 1}, 0, 1, "", ""},
			{"underscore is literal", historyQuery{Name: "memo_0", Page: 1}, 0, 1, "", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				items, total, page, err := ts.s.history(ctx, ZoneUpload, "alice", tc.q)
				if err != nil {
					t.Fatal(err)
				}
				if total != tc.total || page != tc.page {
					t.Fatalf("total %d page %d, want %d and %d", total, page, tc.total, tc.page)
				}
				names := ids(items)
				if tc.total == 0 {
					if len(names) != 0 {
						t.Fatalf("found %v", names)
					}
					return
				}
				if len(names) > historyPageSize || names[0] != tc.first || names[len(names)-1] != tc.last {
					t.Errorf("%d items %s … %s, want %s … %s", len(names), names[0], names[len(names)-1], tc.first, tc.last)
				}
				for _, it := range items {
					if it.Owner != "alice" {
						t.Errorf("%s of %s listed for alice", it.Name, it.Owner)
					}
				}
			})
		}
	})
}

func TestHistoryDates(t *testing.T) {
	metatest.Each(t, func(t *testing.T, db *meta.DB) {
		ts := startSite(t, Options{PlainHTTP: true, DB: db})
		// Midnight local time, then one item a day before it for five days.
		day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.Local)
		for i := range 5 {
			c := day.AddDate(0, 0, -i).Add(time.Duration(i) * time.Second) // one just after each midnight
			it := &Item{ID: fmt.Sprintf("d%d", i), Owner: "alice", Name: fmt.Sprintf("day-%d.txt", i), SHA256: "x", State: Withheld, Created: c, Expires: c.Add(time.Hour)}
			if err := ts.s.insertItems(context.Background(), []*Item{it}); err != nil {
				t.Fatal(err)
			}
		}
		items, total, _, err := ts.s.history(context.Background(), ZoneUpload, "alice", historyQuery{From: "2026-11-17", To: "2026-11-19", Page: 1})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, it := range items {
			got = append(got, it.Name)
		}
		if total != 3 || strings.Join(got, " ") != "day-1.txt day-2.txt day-3.txt" {
			t.Errorf("17–19 November: %d %v", total, got)
		}
	})
}

// TestHistoryQueriesUseIndexes: every search of both sites reads
// transfer_items through an index, not by scanning the table.
func TestHistoryQueriesUseIndexes(t *testing.T) {
	site := startSite(t, Options{PlainHTTP: true})
	for zone, statuses := range historyStatuses {
		for _, st := range statuses {
			for _, q := range []historyQuery{{Status: st.key}, {Status: st.key, Name: "x", From: "2026-01-01", To: "2026-12-31", Sort: "name"}} {
				cond, args := site.s.historyWhere(zone, "alice", q)
				rows, err := site.s.db.QueryContext(context.Background(), `EXPLAIN QUERY PLAN SELECT `+itemCols+` FROM transfer_items WHERE `+cond+` ORDER BY `+historyOrder(q)+` LIMIT 50`, args...)
				if err != nil {
					t.Fatal(err)
				}
				var plan []string
				for rows.Next() {
					var id, parent, notused int
					var detail string
					rows.Scan(&id, &parent, &notused, &detail)
					plan = append(plan, detail)
				}
				rows.Close()
				for _, p := range plan {
					// The state index reads every user's items.
					if strings.HasPrefix(p, "SCAN transfer_items") && !strings.Contains(p, "INDEX") || strings.Contains(p, "transfer_items_state") {
						t.Errorf("%s %+v scans the table:\n%s", zone, q, strings.Join(plan, "\n"))
					}
				}
			}
		}
	}
}

// TestDisplayNamesOnThePages: the lists and the header name people by
// their display names, not their user IDs.
func TestDisplayNamesOnThePages(t *testing.T) {
	t.Parallel()
	ts := startSite(t, Options{PlainHTTP: true})
	ctx := context.Background()
	for _, u := range []auth.User{{Name: "dave", DisplayName: "山田 太郎"}, {Name: "erin", DisplayName: "佐藤 花子"}} {
		if err := ts.s.Users().Add(ctx, u, testPassword); err != nil {
			t.Fatal(err)
		}
	}
	dave := ts.newClient(ts.up).login("dave")
	ts.uploadOne(dave, "erin", "メモ.txt", []byte("資料です\n"))
	if _, page := dave.get("/"); !strings.Contains(page, "<strong>山田 太郎</strong>") || !strings.Contains(page, "宛先: 佐藤 花子") {
		t.Errorf("the upload page names people by their IDs")
	}
	erin := ts.newClient(ts.down).login("erin")
	if _, page := erin.get("/"); !strings.Contains(page, `<td class="who">山田 太郎</td>`) || !strings.Contains(page, "<strong>佐藤 花子</strong>") {
		t.Errorf("the download page names people by their IDs")
	}
}
