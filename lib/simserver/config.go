package simserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/alecthomas/kong"
)

// maxConfig bounds a --config file: a few flag values, never megabytes.
const maxConfig = 1 << 20

// JSONConfig loads a simulator's --config file for kong
// (kong.Configuration(simserver.JSONConfig)): one JSON object of flag
// values keyed by flag name, spelt max-processing, max_processing or
// maxProcessing. Unlike kong.JSON it refuses, naming the file, an empty or
// malformed file, and a key that names no flag (a typo would otherwise be
// ignored and the run made with the default).
func JSONConfig(r io.Reader) (kong.Resolver, error) {
	name := "--config file"
	if f, ok := r.(interface{ Name() string }); ok {
		name = f.Name()
	}
	b, err := io.ReadAll(io.LimitReader(r, maxConfig+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return parseConfig(b, name)
}

func parseConfig(b []byte, name string) (*jsonConfig, error) {
	if len(b) > maxConfig {
		return nil, fmt.Errorf("%s: over 1 MiB: expected a JSON object of flag values", name)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, fmt.Errorf(`%s: empty: expected a JSON object of flag values, e.g. {"model":"lr"}`, name)
	}
	var values map[string]any
	if err := json.Unmarshal(b, &values); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line := 1 + bytes.Count(b[:min(int(se.Offset), len(b))], []byte("\n"))
			return nil, fmt.Errorf("%s line %d: malformed JSON: %v", name, line, se)
		}
		return nil, fmt.Errorf(`%s: expected a JSON object of flag values, e.g. {"model":"lr"}`, name)
	}
	if values == nil { // the file says null
		return nil, fmt.Errorf(`%s: expected a JSON object of flag values, e.g. {"model":"lr"}`, name)
	}
	return &jsonConfig{name: name, values: values}, nil
}

type jsonConfig struct {
	name   string
	values map[string]any
}

// spellings are the keys a flag may have in a config file.
func spellings(flag string) []string {
	parts := strings.Split(flag, "-")
	camel := parts[0]
	for _, p := range parts[1:] {
		if p != "" {
			camel += strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return []string{flag, strings.ReplaceAll(flag, "-", "_"), camel}
}

// notInConfig are flags a config file cannot set.
var notInConfig = map[string]bool{"help": true, "version": true, "config": true}

// Validate refuses a key that names no flag, listing the flags.
func (c *jsonConfig) Validate(app *kong.Application) error {
	known := map[string]bool{}
	var names []string
	for _, f := range app.Flags {
		if notInConfig[f.Name] {
			continue
		}
		names = append(names, f.Name)
		for _, s := range spellings(f.Name) {
			known[s] = true
		}
	}
	keys := make([]string, 0, len(c.values))
	for k := range c.values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	sort.Strings(names)
	for _, k := range keys {
		if !known[k] {
			return fmt.Errorf("%s: unknown key %q (known: %s)", c.name, k, strings.Join(names, ", "))
		}
	}
	return nil
}

// Resolve gives a flag's value from the file, if it has one.
func (c *jsonConfig) Resolve(_ *kong.Context, _ *kong.Path, flag *kong.Flag) (any, error) {
	if notInConfig[flag.Name] {
		return nil, nil
	}
	for _, s := range spellings(flag.Name) {
		if v, ok := c.values[s]; ok {
			return v, nil
		}
	}
	return nil, nil
}
