package storage

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// /mydata finds a member's jobs through the partial indexes on user_id,
// not by scanning every job.
func TestMemberJobsUseTheUserIndex(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "kindred.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for query, index := range map[string]string{
		`SELECT kind, guild_id, run_at FROM jobs WHERE ` + memberJobsWhere + ` ORDER BY run_at, id`:                      "jobs_by_user",
		`SELECT kind, guild_id, run_at, failed_at FROM jobs_failed WHERE ` + memberJobsWhere + ` ORDER BY failed_at, id`: "jobs_failed_by_user",
		`DELETE FROM jobs WHERE ` + memberJobsWhere:                                                                      "jobs_by_user",
		`DELETE FROM jobs_failed WHERE ` + memberJobsWhere:                                                               "jobs_failed_by_user",
	} {
		rows, err := db.read.QueryContext(ctx, `EXPLAIN QUERY PLAN `+query, "710000000000000001")
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(plan, "; "); !strings.Contains(got, "USING INDEX "+index+" ") {
			t.Errorf("%s\nplan: %s\nwant it to use %s", query, got, index)
		}
	}
}
