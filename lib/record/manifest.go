package record

// Manifest describes a run directory of pipelines/ (manifest.json: one
// object, not a stream).
type Manifest struct {
	Type       string            `json:"type"`
	Version    int               `json:"version"`
	Experiment string            `json:"experiment"` // the pipeline's name
	Rerun      string            `json:"rerun"`      // the command line that repeats the run
	GitCommit  string            `json:"git_commit"`
	Tools      map[string]string `json:"tools"` // tool → version
	Seed       int64             `json:"seed"`
	Commands   []string          `json:"commands"` // every command line run, in order
	Start      string            `json:"start"`
	End        string            `json:"end"`
	Machine    Machine           `json:"machine"`
}

// Machine is where a run ran.
type Machine struct {
	CPUs int    `json:"cpus"`
	OS   string `json:"os"`
	Go   string `json:"go"`
}
