package storetest

import (
	"testing"
	"time"

	"tycho"
)

func testCampaignRoundTrip(t *testing.T, s tycho.Store) {
	mustCreate(t, s, newCampaign("c-1", t0))
	want := newCampaign("c-1", t0)
	same(t, "found campaign", mustFind(t, s, "c-1"), want)
	list, err := s.ListCampaigns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("listed %d campaigns, want 1", len(list))
	}
	same(t, "listed campaign", list[0], want)
}

func testCampaignExists(t *testing.T, s tycho.Store) {
	mustCreate(t, s, newCampaign("c-1", t0))
	again := newCampaign("c-1", t0.Add(time.Hour))
	again.Spec.Name = "impostor"
	wantCode(t, "create campaign c-1 twice", s.CreateCampaign(ctx, again), tycho.ECONFLICT)
	same(t, "campaign after a refused create", mustFind(t, s, "c-1"), newCampaign("c-1", t0))
}

func testCampaignNotFound(t *testing.T, s tycho.Store) {
	_, err := s.FindCampaign(ctx, "nope")
	wantCode(t, "find in an empty store", err, tycho.ENOTFOUND)
	mustCreate(t, s, newCampaign("c-1", t0))
	_, err = s.FindCampaign(ctx, "nope")
	wantCode(t, "find nope", err, tycho.ENOTFOUND)
	_, err = s.FindCampaign(ctx, "c-12") // longer than any ID
	wantCode(t, "find c-12", err, tycho.ENOTFOUND)
	status := tycho.CampaignCompleted
	_, err = s.UpdateCampaign(ctx, "nope", tycho.CampaignUpdate{Status: &status})
	wantCode(t, "update nope", err, tycho.ENOTFOUND)
}

func testFindCampaign(t *testing.T, s tycho.Store) {
	for i, id := range []string{"alpha-1234", "alpha-5678", "alpha-56789", "bet_a-1"} {
		mustCreate(t, s, newCampaign(id, t0.Add(time.Duration(i)*time.Second)))
	}
	tests := []struct {
		name, arg, want, code string
	}{
		{"ExactID", "alpha-1234", "alpha-1234", ""},
		{"UniquePrefix", "alpha-12", "alpha-1234", ""},
		{"ExactIDBeatsPrefix", "alpha-5678", "alpha-5678", ""},
		{"Name", "branin alpha-56789", "alpha-56789", ""},
		{"ErrAmbiguousPrefix", "alpha", "", tycho.EINVALID},
		{"ErrAmbiguousLongerPrefix", "alpha-567", "", tycho.EINVALID},
		{"ErrNotFound", "gamma", "", tycho.ENOTFOUND},
		{"NoWildcardUnderscore", "be_", "", tycho.ENOTFOUND},
		{"NoWildcardPercent", "%", "", tycho.ENOTFOUND},
		{"UnderscoreIsLiteral", "bet_", "bet_a-1", ""},
		{"ErrEmpty", "", "", tycho.EINVALID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := s.FindCampaign(ctx, tc.arg)
			wantCode(t, "find "+tc.arg, err, tc.code)
			if tc.code == "" && c.ID != tc.want {
				t.Errorf("find %q = %s, want %s", tc.arg, c.ID, tc.want)
			}
		})
	}
}

func testCampaignNameAmbiguous(t *testing.T, s tycho.Store) {
	for _, id := range []string{"x-1", "x-2"} {
		c := newCampaign(id, t0)
		c.Spec.Name = "twin"
		mustCreate(t, s, c)
	}
	_, err := s.FindCampaign(ctx, "twin")
	wantCode(t, "find by a shared name", err, tycho.EINVALID)
}

func testListCampaigns(t *testing.T, s tycho.Store) {
	list, err := s.ListCampaigns(ctx)
	if err != nil || len(list) != 0 {
		t.Fatalf("list an empty store: %d campaigns, %v; want none", len(list), err)
	}
	created := map[string]time.Time{"c-b": t0.Add(2 * time.Minute), "c-a": t0, "c-c": t0.Add(time.Minute)}
	for _, id := range []string{"c-b", "c-a", "c-c"} {
		mustCreate(t, s, newCampaign(id, created[id]))
	}
	list, err = s.ListCampaigns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range list {
		got = append(got, c.ID)
	}
	same(t, "listed IDs", got, []string{"c-b", "c-c", "c-a"})
	for _, c := range list {
		same(t, "listed "+c.ID, c, newCampaign(c.ID, created[c.ID]))
	}
}

func testUpdateCampaign(t *testing.T, s tycho.Store) {
	mustCreate(t, s, newCampaign("c-1", t0))
	want := newCampaign("c-1", t0)
	check := func(what string, got *tycho.Campaign) {
		t.Helper()
		found := mustFind(t, s, "c-1")
		same(t, what+": returned campaign", got, found)
		want.UpdatedAt = found.UpdatedAt // the store's to choose
		same(t, what+": stored campaign", found, want)
	}

	elapsed := 3*time.Hour + time.Millisecond
	got, err := s.UpdateCampaign(ctx, "c-1", tycho.CampaignUpdate{Elapsed: &elapsed})
	if err != nil {
		t.Fatal(err)
	}
	want.Elapsed = elapsed
	check("update Elapsed", got)

	status, reason := tycho.CampaignCompleted, "budget spent"
	got, err = s.UpdateCampaign(ctx, "c-1", tycho.CampaignUpdate{Status: &status, StopReason: &reason})
	if err != nil {
		t.Fatal(err)
	}
	want.Status, want.StopReason = status, reason
	check("update Status and StopReason", got)

	got, err = s.UpdateCampaign(ctx, "c-1", tycho.CampaignUpdate{})
	if err != nil {
		t.Fatal(err)
	}
	check("empty update", got)

	empty := ""
	got, err = s.UpdateCampaign(ctx, "c-1", tycho.CampaignUpdate{StopReason: &empty})
	if err != nil {
		t.Fatal(err)
	}
	want.StopReason = ""
	check("clear StopReason", got)
}
