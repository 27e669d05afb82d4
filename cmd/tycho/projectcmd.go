package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"tycho"
)

// projectCommand is "tycho project": a project's settings in the local
// data directory. Projects gain members and keys with the security work;
// for now a project holds its data policy.
type projectCommand struct {
	stdout, stderr io.Writer
}

const projectUsage = `Usage:
  tycho project show PROJECT                            show a project's settings
  tycho project set PROJECT --min-prior-grade GRADE     set the lowest quality grade
                                                        a dataset version needs to
                                                        serve as a campaign's prior data

GRADE is none, bronze, silver or gold (docs/data-quality.md). Both take
--data DIR.
`

func (c *projectCommand) Run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, projectUsage)
		return errUsage
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "show":
		return c.show(ctx, args)
	case "set":
		return c.set(ctx, args)
	case "help", "-h", "--help":
		fmt.Fprint(c.stdout, projectUsage)
		return nil
	}
	fmt.Fprintf(c.stderr, "tycho project: unknown subcommand %q\n\n%s", sub, projectUsage)
	return errUsage
}

func (c *projectCommand) show(ctx context.Context, args []string) error {
	fs := newFlagSet("project show", "project show PROJECT [--data DIR]", c.stderr)
	data := dataFlag(fs)
	args, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(args) != 1 {
		return usageError(fs, "give one project")
	}
	db, err := openStore(ctx, *data, false)
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := db.FindProject(ctx, args[0])
	if err != nil {
		return err
	}
	c.write(p)
	return nil
}

func (c *projectCommand) set(ctx context.Context, args []string) error {
	fs := newFlagSet("project set", "project set PROJECT --min-prior-grade GRADE [--data DIR]", c.stderr)
	data := dataFlag(fs)
	grade := fs.String("min-prior-grade", "", "the lowest grade prior data may have: none, bronze, silver or gold")
	args, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "min-prior-grade" })
	if len(args) != 1 || !given {
		return usageError(fs, "give one project and --min-prior-grade")
	}
	g, err := tycho.ParseGrade(*grade)
	if err != nil {
		return err
	}
	if err := tycho.ValidName("project", args[0]); err != nil {
		return err
	}
	db, err := openStore(ctx, *data, true)
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := db.FindProject(ctx, args[0])
	if err != nil {
		return err
	}
	p.MinPriorGrade = g
	if p, err = db.PutProject(ctx, p); err != nil {
		return err
	}
	c.write(p)
	return nil
}

func (c *projectCommand) write(p *tycho.Project) {
	fmt.Fprintf(c.stdout, "project %s\n", p.Name)
	if p.MinPriorGrade == tycho.GradeNone {
		fmt.Fprintln(c.stdout, "  prior data      any dataset version, graded or not")
	} else {
		fmt.Fprintf(c.stdout, "  prior data      dataset versions graded %s or better\n", p.MinPriorGrade)
	}
	if p.UpdatedAt.IsZero() {
		fmt.Fprintln(c.stdout, "  settings        the defaults (never set)")
	} else {
		fmt.Fprintf(c.stdout, "  updated         %s\n", p.UpdatedAt.Format(time.RFC3339))
	}
}
