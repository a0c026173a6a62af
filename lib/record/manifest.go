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

	// A segmented run on many machines (pipelines/distributed.sh) also has:
	Run      string            `json:"run,omitempty"`      // the run's name (fire --run)
	StartAt  string            `json:"start_at,omitempty"` // the common start of every segment's plan clock (fire --start-at)
	Hosts    []ManifestHost    `json:"hosts,omitempty"`
	Segments []ManifestSegment `json:"segments,omitempty"`
	// Complete: every segment ran to its end with exit 0 and came back,
	// and histo found the merged run complete. Absent for unsegmented runs.
	Complete *bool `json:"complete,omitempty"`
	// HistoExit is histo's exit code over the segments' logs (5: incomplete).
	HistoExit *int `json:"histo_exit,omitempty"`
}

// Machine is where a run ran.
type Machine struct {
	CPUs int    `json:"cpus"`
	OS   string `json:"os"`
	Go   string `json:"go"`
}

// ManifestHost is one host of a distributed run, as its check before the
// run found it.
type ManifestHost struct {
	Host     int      `json:"host"`     // its line among the hosts file's sshlogins, from 1
	SSHLogin string   `json:"sshlogin"` // as GNU parallel's --sshloginfile has it (":" is this machine)
	Segments []string `json:"segments"` // the segments it ran ("I/N")
	Arch     string   `json:"arch"`     // uname -sm
	CPUs     int      `json:"cpus"`
	Load     float64  `json:"load"` // its 1-minute load average before the run
	// ClockOffsetMS is how far its clock read outside the local interval of
	// the check (0: within it): a lower bound of its offset from this
	// machine's clock, which --start-at relies on.
	ClockOffsetMS float64 `json:"clock_offset_ms"`
}

// ManifestSegment is what became of one segment of a distributed run.
type ManifestSegment struct {
	Segment string `json:"segment"` // "I/N"
	Host    int    `json:"host"`    // ManifestHost.Host
	Exit    int    `json:"exit"`    // its command's exit code (GNU parallel's joblog; -1: killed or never run)
	Signal  int    `json:"signal"`  // the signal that ended it, 0 if none
	// LagMS is how late its plan clock started after StartAt (fire's
	// segment start record); absent when it never reported a start.
	LagMS *float64 `json:"lag_ms,omitempty"`
	// Status is fire's segment end status (ok, stopped, failed); absent
	// when it wrote no end record (killed, or never started).
	Status   string `json:"status,omitempty"`
	Count    int64  `json:"count"`    // successful responses (its end record)
	Errors   int64  `json:"errors"`   // failed sends (its end record)
	Log      string `json:"log"`      // its log in the run directory, "" if none came back
	Feedback string `json:"feedback"` // its feedback records in the run directory, "" if none came back
}
