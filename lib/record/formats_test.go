package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// docs/formats.md is checked against this package, so there is no second
// source of truth: every type has a section, every JSON example decodes
// strictly into its record, every field of every record is named.

const formatsPath = "../../docs/formats.md"

type mdBlock struct {
	info string // the fence's info string: "json", "json model-file", ""
	text string
	line int
}

// readFormats returns the document and its fenced code blocks.
func readFormats(t *testing.T) (string, []mdBlock) {
	t.Helper()
	b, err := os.ReadFile(formatsPath)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []mdBlock
	var cur *mdBlock
	for i, line := range strings.Split(string(b), "\n") {
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &mdBlock{info: strings.TrimSpace(line[3:]), line: i + 1}
		case cur != nil && strings.TrimSpace(line) == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.text += line + "\n"
		}
	}
	if cur != nil {
		t.Fatalf("%s:%d: unterminated code block", formatsPath, cur.line)
	}
	return string(b), blocks
}

func TestFormatsHasASectionPerType(t *testing.T) {
	doc, _ := readFormats(t)
	heading := regexp.MustCompile("(?m)^#{2,3} .*$")
	headings := strings.Join(heading.FindAllString(doc, -1), "\n")
	for _, typ := range Types() {
		if !strings.Contains(headings, "`"+typ+"`") {
			t.Errorf("%s: no section heading names `%s`", formatsPath, typ)
		}
	}
	// and the table of records (the one headed "| record |") names only declared types
	table := doc
	if i := strings.Index(doc, "| record |"); i >= 0 {
		table = doc[i:]
		if j := strings.Index(table, "\n\n"); j >= 0 {
			table = table[:j]
		}
	} else {
		t.Errorf("%s: no table headed \"| record |\"", formatsPath)
	}
	row := regexp.MustCompile("(?m)^\\| (`[^|]*) \\|")
	name := regexp.MustCompile("`([a-z_]+)`")
	for _, m := range row.FindAllStringSubmatch(table, -1) {
		for _, n := range name.FindAllStringSubmatch(m[1], -1) {
			if New(n[1]) == nil {
				t.Errorf("%s: the table names %q, which lib/record does not declare", formatsPath, n[1])
			}
		}
	}
}

func TestFormatsExamplesDecodeStrictly(t *testing.T) {
	_, blocks := readFormats(t)
	seen := map[string]bool{}
	for _, b := range blocks {
		if !strings.HasPrefix(b.info, "json") {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(b.text))
		n := 0
		for {
			var raw json.RawMessage
			err := dec.Decode(&raw)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s:%d: example %d is not JSON: %v", formatsPath, b.line, n+1, err)
			}
			n++
			if b.info != "json" { // a file format that is not a record (the model file)
				continue
			}
			var head struct{ Type string }
			json.Unmarshal(raw, &head)
			v := New(head.Type)
			if v == nil {
				t.Errorf("%s:%d: example %d: type %q is not declared in lib/record", formatsPath, b.line, n, head.Type)
				continue
			}
			strict := json.NewDecoder(bytes.NewReader(raw))
			strict.DisallowUnknownFields()
			if err := strict.Decode(v); err != nil {
				t.Errorf("%s:%d: example %d (%s) does not decode strictly: %v", formatsPath, b.line, n, head.Type, err)
			}
			if c, ok := v.(interface{ Check() error }); ok {
				if err := c.Check(); err != nil {
					t.Errorf("%s:%d: example %d (%s) is not a valid record: %v", formatsPath, b.line, n, head.Type, err)
				}
			}
			seen[head.Type] = true
		}
		if n == 0 {
			t.Errorf("%s:%d: an empty %s block", formatsPath, b.line, b.info)
		}
	}
	for _, typ := range Types() {
		if !seen[typ] {
			t.Errorf("%s: no JSON example of a %q record", formatsPath, typ)
		}
	}
}

// Every field of every record is named in its record's own section.
func TestFormatsNamesEveryField(t *testing.T) {
	doc, _ := readFormats(t)
	for _, typ := range Types() {
		sec := section(doc, typ)
		for _, f := range jsonFields(reflect.TypeOf(New(typ)).Elem(), map[reflect.Type]bool{}) {
			if !strings.Contains(sec, "`"+f+"`") && !strings.Contains(sec, `"`+f+`"`) {
				t.Errorf("%s: field %q of %s is not named in its section (as `%s` or in an example)", formatsPath, f, typ, f)
			}
		}
	}
}

// section returns the text from the "## " heading that names typ (in
// backquotes) to the next "## " heading.
func section(doc, typ string) string {
	parts := regexp.MustCompile("(?m)^## ").Split(doc, -1)
	for _, p := range parts {
		head, _, _ := strings.Cut(p, "\n")
		if strings.Contains(head, "`"+typ+"`") {
			return p
		}
	}
	return ""
}

// jsonFields lists the JSON names of t's fields and of the structs it holds
// (each struct once).
func jsonFields(t reflect.Type, done map[reflect.Type]bool) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map || t.Kind() == reflect.Array {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || done[t] || t.PkgPath() != reflect.TypeOf(Stats{}).PkgPath() {
		return nil
	}
	done[t] = true
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
		out = append(out, jsonFields(f.Type, done)...)
	}
	return out
}
