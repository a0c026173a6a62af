// Package report writes a run's report: one self-contained HTML file (inline
// SVG figures, CSS and font; no script, no network) with the verdict and its
// margins, statistics per request name and status, the figures, the fault
// events, rampctl's levels, the manifest and links to the raw files. The
// same run directory always gives the same bytes.
package report

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/perflab/perflab/lib/plot"
	"github.com/perflab/perflab/lib/record"
)

// Run is what a report shows of one run directory.
type Run struct {
	Dir      string // as given
	Name     string // the directory's name
	Manifest *record.Manifest
	Files    []File       // every regular file, by name
	Inputs   []*plot.Data // every *.jsonl file read, by name
	// LinkBase is the directory the links to raw files are relative to
	// (where the report is written).
	LinkBase string
}

// File is one raw file of the run.
type File struct {
	Name string
	Size int64
	Href string
}

// Load reads a run directory: manifest.json and every *.jsonl file
// (statistics, steps, events, verdicts; other records are skipped).
// Malformed lines go to p. linkBase is where the report will be written.
func Load(ctx context.Context, dir, linkBase string, p *record.Problems) (*Run, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", dir, unwrap(err))
	}
	abs, _ := filepath.Abs(dir)
	r := &Run{Dir: dir, Name: filepath.Base(abs), LinkBase: linkBase}
	sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
	for _, e := range ents {
		if err := r.addFile(ctx, e, p); err != nil {
			return nil, err
		}
	}
	if len(r.Inputs) == 0 && r.Manifest == nil {
		return nil, fmt.Errorf("%s: not a run directory: no manifest.json and no *.jsonl records", dir)
	}
	return r, nil
}

func (r *Run) addFile(ctx context.Context, e os.DirEntry, p *record.Problems) error {
	if !e.Type().IsRegular() || e.Name() == "report.html" {
		return nil
	}
	path := filepath.Join(r.Dir, e.Name())
	info, err := e.Info()
	if err != nil {
		return fmt.Errorf("%s: %v", path, unwrap(err))
	}
	r.Files = append(r.Files, File{Name: e.Name(), Size: info.Size(), Href: r.href(path)})
	switch {
	case e.Name() == "manifest.json":
		return r.readManifest(path)
	case strings.HasSuffix(e.Name(), ".jsonl") && e.Name() != "plan.jsonl":
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("%s: %v", path, unwrap(err))
		}
		defer f.Close()
		d, err := plot.Read(ctx, f, path, p)
		if err != nil {
			return err
		}
		d.Name = strings.TrimSuffix(e.Name(), ".jsonl")
		r.Inputs = append(r.Inputs, d)
	}
	return nil
}

func (r *Run) readManifest(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s: %v", path, unwrap(err))
	}
	var m record.Manifest
	if err := json.Unmarshal(b, &m); err != nil || m.Type != record.TypeManifest {
		return fmt.Errorf("%s: expected a perflab manifest (a JSON object with \"type\":\"manifest\"): %v", path, err)
	}
	r.Manifest = &m
	return nil
}

// href is a file's link relative to where the report is written.
func (r *Run) href(path string) string {
	base := r.LinkBase
	if base == "" {
		base = r.Dir
	}
	ab, err1 := filepath.Abs(base)
	ap, err2 := filepath.Abs(path)
	if err1 != nil || err2 != nil {
		return filepath.ToSlash(path)
	}
	rel, err := filepath.Rel(ab, ap)
	if err != nil {
		return filepath.ToSlash(ap)
	}
	return filepath.ToSlash(rel)
}

func unwrap(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// main is the input holding the run's statistics of record: histo.jsonl
// (the pipelines' name for histo's output of all requests), else the first
// with a verdict, else the first with a summary; nil if none.
func (r *Run) main() *plot.Data {
	withSummary := func(d *plot.Data) bool { return d.Summary != nil }
	for _, ok := range []func(*plot.Data) bool{
		func(d *plot.Data) bool { return d.Name == "histo" && withSummary(d) },
		func(d *plot.Data) bool { return d.Verdict != nil && withSummary(d) },
		withSummary,
	} {
		if d := r.find(ok); d != nil {
			return d
		}
	}
	return nil
}

// find returns the first input for which ok holds.
func (r *Run) find(ok func(*plot.Data) bool) *plot.Data {
	for _, d := range r.Inputs {
		if ok(d) {
			return d
		}
	}
	return nil
}

// events are every input's fault management events.
func (r *Run) events() []record.Event {
	var out []record.Event
	for _, d := range r.Inputs {
		out = append(out, d.Events...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].TS.Before(out[j].TS) })
	return out
}

// Write writes the report as one HTML page.
func (r *Run) Write(w io.Writer) error {
	return page.Execute(w, r.view())
}
