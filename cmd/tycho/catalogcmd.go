package main

import (
	"context"
	"io"
	"os"

	"tycho/dcat"
)

// catalog is "tycho data catalog": the DCAT-AP 3 catalogue of the data
// directory's datasets, as JSON-LD, on standard output or in a file.
func (c *dataCommand) catalog(ctx context.Context, args []string) error {
	fs := newFlagSet("data catalog", "data catalog [--project P] [--out FILE] [--base-url URL] [--title T] [--description D] [--publisher P]", c.stderr)
	data := dataFlag(fs)
	project := fs.String("project", "", "the project (default: every project, if the store can list them)")
	out := fs.String("out", "", "write the catalogue to FILE, which is replaced only once it is whole (default: standard output)")
	cat := dcat.Catalog{}
	fs.StringVar(&cat.BaseURL, "base-url", "", "the URL of the server that serves these datasets, under which their IRIs are (default: urn:tycho: names)")
	fs.StringVar(&cat.Title, "title", "Tycho datasets", "the catalogue's title")
	fs.StringVar(&cat.Description, "description", "", "the catalogue's description (default: which projects it lists)")
	fs.StringVar(&cat.Publisher, "publisher", "", `the organisation that publishes the catalogue (default "Tycho at HOSTNAME")`)
	args, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(args) != 0 {
		return usageError(fs, "data catalog takes no arguments")
	}
	if cat.Publisher == "" {
		host, _ := os.Hostname()
		cat.Publisher = "Tycho at " + host
	}
	if cat.Description == "" {
		cat.Description = "The datasets of every project in the Tycho data directory, with every version and file."
		if *project != "" {
			cat.Description = "The datasets of project " + *project + ", with every version and file."
		}
	}
	if err := cat.Check(); err != nil {
		return err
	}
	db, err := openStore(ctx, *data, false)
	if err != nil {
		return err
	}
	defer db.Close()
	projects, err := dcat.Projects(ctx, db, *project)
	if err != nil {
		return err
	}
	return writeOutput(c.stdout, *out, func(w io.Writer) error { return dcat.Write(ctx, w, cat, db, projects) })
}
