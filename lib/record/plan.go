package record

// Plan is one line of a plan (types plan, scenario, stage and end); which
// fields are set depends on Type. lib/plan writes, checks and reads them.
type Plan struct {
	Type string `json:"type"`

	// header ("plan")
	Version   int    `json:"version,omitempty"`
	Generator string `json:"generator,omitempty"`
	Seed      int64  `json:"seed,omitempty"`

	// scenario: what a virtual user (closed model) or an arrival (open model) does
	Name    string    `json:"name,omitempty"`
	Steps   []Request `json:"steps,omitempty"`
	ThinkMS float64   `json:"think_ms,omitempty"`
	Order   string    `json:"order,omitempty"` // "sequence" (default) or "random"
	// Session: a user's iteration is a browser session: all steps in order,
	// a cookie jar, redirects followed, each request named after its page.
	// Vars are integers drawn per session, used as {name} in paths and bodies
	// ({user} is the user's number).
	Session bool              `json:"session,omitempty"`
	Vars    map[string][2]int `json:"vars,omitempty"`
	// ThinkMaxMS: think drawn uniformly from [ThinkMS, ThinkMaxMS] after each send.
	ThinkMaxMS float64 `json:"think_max_ms,omitempty"`

	// Group (scenario and users stage): closed-model users of a named group
	// run that group's scenario, beside the users of other groups.
	Group string `json:"group,omitempty"`

	// stage and end: AtMS is the offset from the run's start; a stage without
	// it applies as soon as it is read (rampctl streams stages this way).
	AtMS *float64 `json:"at_ms,omitempty"`
	// Users sets the closed model's user count; RateRPS the open model's arrival rate.
	Users     *int     `json:"users,omitempty"`
	RateRPS   *float64 `json:"rate_rps,omitempty"`
	SpawnRate float64  `json:"spawn_rate,omitempty"` // users started per second; 0 = at once
	Poisson   bool     `json:"poisson,omitempty"`
	Label     string   `json:"label,omitempty"` // names the stage in fire's feedback
}

// Request is one request of a scenario (an element of its "steps").
type Request struct {
	Name    string            `json:"name"`
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Body    string            `json:"body,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	// Repeat resends until a 2xx answer arrives (the study's repeating client).
	Repeat bool `json:"repeat,omitempty"`
	// Weight is the relative chance of this step when the scenario's order is random.
	Weight float64 `json:"weight,omitempty"`
	// Session scenarios: Times [min, max] repeats this step and the Span-1
	// steps after it a drawn number of times (variables drawn anew each
	// time); Chance runs them only with this probability.
	Times  []int   `json:"times,omitempty"`
	Span   int     `json:"span,omitempty"`
	Chance float64 `json:"chance,omitempty"`
}
