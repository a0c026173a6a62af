// Package jsonl encodes records as JSON lines the way every perflab tool
// writes them: one object a line, no HTML escaping (requirements read "<=").
package jsonl

import (
	"bytes"
	"encoding/json"
	"io"
)

// Marshal returns v as one JSON line, newline included.
func Marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Write writes v as one JSON line to w.
func Write(w io.Writer, v any) error {
	b, err := Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
