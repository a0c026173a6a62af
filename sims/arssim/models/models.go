// Package models holds the processing-time models shipped with arssim
// (JSON files; docs/formats.md, "Model file").
package models

import "embed"

// FS holds every shipped model file, by its file name (rast-2022.json, …).
//
//go:embed *.json
var FS embed.FS
