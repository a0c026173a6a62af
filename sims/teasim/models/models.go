// Package models holds the processing-time models shipped with teasim
// (JSON files; docs/formats.md, "Model file").
package models

import "embed"

// FS holds every shipped model file, by its file name.
//
//go:embed *.json
var FS embed.FS
