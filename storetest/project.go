package storetest

import (
	"testing"
	"time"

	"tycho"
)

// RunProjects runs the conformance suite of tycho.ProjectService against
// the services open returns, a fresh one for each test.
func RunProjects(t *testing.T, open func(t *testing.T) tycho.ProjectService) {
	tests := []struct {
		name string
		f    func(*testing.T, tycho.ProjectService)
	}{
		{"UnknownProjectHasDefaults", testProjectDefaults},
		{"PutAndFind", testPutProject},
		{"UpdateKeepsCreated", testUpdateProject},
		{"ProjectsAreSeparate", testProjectsSeparate},
		{"ErrBadProject", testBadProject},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.f(t, open(t)) })
	}
}

func mustFindProject(t *testing.T, s tycho.ProjectService, name string) *tycho.Project {
	t.Helper()
	p, err := s.FindProject(ctx, name)
	if err != nil {
		t.Fatalf("find project %s: %v", name, err)
	}
	return p
}

func mustPutProject(t *testing.T, s tycho.ProjectService, p *tycho.Project) *tycho.Project {
	t.Helper()
	got, err := s.PutProject(ctx, p)
	if err != nil {
		t.Fatalf("put project %s: %v", p.Name, err)
	}
	return got
}

func testProjectDefaults(t *testing.T, s tycho.ProjectService) {
	same(t, "unknown project", mustFindProject(t, s, "p1"), &tycho.Project{Name: "p1"})
	same(t, "default project", mustFindProject(t, s, tycho.DefaultProject), &tycho.Project{Name: tycho.DefaultProject})
}

func testPutProject(t *testing.T, s tycho.ProjectService) {
	put := mustPutProject(t, s, &tycho.Project{Name: "p1", MinPriorGrade: tycho.GradeSilver})
	if put.Name != "p1" || put.MinPriorGrade != tycho.GradeSilver || put.CreatedAt.IsZero() || !put.UpdatedAt.Equal(put.CreatedAt) {
		t.Errorf("put: %+v", put)
	}
	same(t, "found", mustFindProject(t, s, "p1"), put)
}

func testUpdateProject(t *testing.T, s tycho.ProjectService) {
	first := mustPutProject(t, s, &tycho.Project{Name: "p1", MinPriorGrade: tycho.GradeGold})
	time.Sleep(2 * precision) // so that the update's time differs
	second := mustPutProject(t, s, &tycho.Project{Name: "p1", MinPriorGrade: tycho.GradeBronze})
	if d := diff("created", second.CreatedAt, first.CreatedAt); d != "" {
		t.Errorf("an update changed the creation time: %s", d)
	}
	if !second.UpdatedAt.After(first.UpdatedAt) || second.MinPriorGrade != tycho.GradeBronze {
		t.Errorf("updated: %+v after %+v", second, first)
	}
	same(t, "found", mustFindProject(t, s, "p1"), second)
	none := mustPutProject(t, s, &tycho.Project{Name: "p1", MinPriorGrade: tycho.GradeNone})
	if got := mustFindProject(t, s, "p1"); got.MinPriorGrade != tycho.GradeNone || !got.UpdatedAt.Equal(none.UpdatedAt) {
		t.Errorf("set back to none: %+v", got)
	}
}

func testProjectsSeparate(t *testing.T, s tycho.ProjectService) {
	mustPutProject(t, s, &tycho.Project{Name: "p1", MinPriorGrade: tycho.GradeGold})
	mustPutProject(t, s, &tycho.Project{Name: "p2", MinPriorGrade: tycho.GradeBronze})
	if p1, p2 := mustFindProject(t, s, "p1"), mustFindProject(t, s, "p2"); p1.MinPriorGrade != tycho.GradeGold || p2.MinPriorGrade != tycho.GradeBronze {
		t.Errorf("p1 %q, p2 %q", p1.MinPriorGrade, p2.MinPriorGrade)
	}
	same(t, "p3", mustFindProject(t, s, "p3"), &tycho.Project{Name: "p3"})
}

func testBadProject(t *testing.T, s tycho.ProjectService) {
	for _, p := range []*tycho.Project{
		{Name: "", MinPriorGrade: tycho.GradeGold},
		{Name: "a/b"},
		{Name: ".hidden"},
		{Name: "p1", MinPriorGrade: "platinum"},
	} {
		_, err := s.PutProject(ctx, p)
		wantCode(t, "put "+p.Name+" "+string(p.MinPriorGrade), err, tycho.EINVALID)
	}
	_, err := s.FindProject(ctx, "a/b")
	wantCode(t, "find a/b", err, tycho.EINVALID)
	same(t, "p1 after a refused put", mustFindProject(t, s, "p1"), &tycho.Project{Name: "p1"})
}
