package record

// Verdict is the outcome of a requirement (histo with a requirement).
type Verdict struct {
	Type        string  `json:"type"`
	Requirement string  `json:"requirement"` // as given, e.g. "mean<=10s,max<=30s"
	Pass        bool    `json:"pass"`
	Checks      []Check `json:"checks"`
}

// Check is one check of a verdict.
type Check struct {
	Metric string  `json:"metric"` // mean, max, p50, p90, p95, p99, p999, errors
	Limit  string  `json:"limit"`  // as written: "10s", "1%"
	Value  float64 `json:"value"`  // ms, or a fraction for errors
	// LimitValue is Limit in Value's unit (ms, or a fraction), so readers
	// need not parse Limit.
	LimitValue float64 `json:"limit_value"`
	Pass       bool    `json:"pass"`
}
