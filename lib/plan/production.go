package plan

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/perflab/perflab/lib/record"
)

// AlarmName is the production ARS's alarm packet (domain.md §3): the
// requests that the "without alarms" load files leave out.
const AlarmName = "ID_REQ_KC_STORE7D3BPACKET"

const (
	allPrefix     = "All_requests_per_time_unit_"
	withoutPrefix = "Requests_without_alarms_"
)

// AlarmShare says which share of a production load file's requests are
// alarms, from its name: 0 for Requests_without_alarms_DAY.log; for
// All_requests_per_time_unit_DAY.log, 1 − without ÷ all from the two files'
// "Total count" lines. ok is false when the name or the files do not say.
func AlarmShare(trace string) (share float64, ok bool, err error) {
	base := filepath.Base(trace)
	switch {
	case strings.HasPrefix(base, withoutPrefix):
		return 0, true, nil
	case strings.HasPrefix(base, allPrefix):
		without := filepath.Join(filepath.Dir(trace), withoutPrefix+strings.TrimPrefix(base, allPrefix))
		if _, err := os.Stat(without); err != nil {
			return 0, false, nil
		}
		all, err := TotalCount(trace)
		if err != nil {
			return 0, false, err
		}
		wo, err := TotalCount(without)
		if err != nil {
			return 0, false, err
		}
		if all <= 0 || wo > all {
			return 0, false, fmt.Errorf("%s, %s: totals %d and %d do not make a share", trace, without, all, wo)
		}
		return 1 - float64(wo)/float64(all), true, nil
	}
	return 0, false, nil
}

// TotalCount reads the "Total count: N" line of a production load file.
func TotalCount(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return ReadTotalCount(f, path)
}

// ReadTotalCount finds the "Total count: N" line in r (name is for errors).
func ReadTotalCount(r io.Reader, name string) (int64, error) {
	rd := inputReader(context.Background(), r, name)
	for rd.Next() {
		if rest, ok := bytes.CutPrefix(rd.Bytes(), []byte("Total count:")); ok {
			n, err := strconv.ParseInt(string(bytes.TrimSpace(rest)), 10, 64)
			if err != nil || n < 0 {
				return 0, lineError(rd, "expected \"Total count: N\"")
			}
			return n, nil
		}
	}
	if err := rd.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("%s: no \"Total count: N\" line", name)
}

// WeightAlarms gives the alarm step the share of the draws and the other
// steps the rest, equally; with share 0 the alarm step is left out.
func WeightAlarms(steps []record.Request, share float64) ([]record.Request, error) {
	var alarm, other []record.Request
	for _, s := range steps {
		if s.Name == AlarmName {
			alarm = append(alarm, s)
		} else {
			other = append(other, s)
		}
	}
	if !within(share, 0, 1) {
		return nil, fmt.Errorf("alarm share %v: expected 0 to 1", share)
	}
	if share > 0 && len(alarm) == 0 {
		return nil, fmt.Errorf("alarm share %v, but the request names have no %s", share, AlarmName)
	}
	if len(other) == 0 && share < 1 {
		return nil, fmt.Errorf("alarm share %v, but the request names have nothing besides %s", share, AlarmName)
	}
	out := make([]record.Request, 0, len(steps))
	for _, s := range other {
		if share < 1 {
			s.Weight = (1 - share) / float64(len(other))
			out = append(out, s)
		}
	}
	for _, s := range alarm {
		if share > 0 {
			s.Weight = share / float64(len(alarm))
			out = append(out, s)
		}
	}
	return out, nil
}

// Production writes domain.md §3's production workload as two closed-model
// groups running side by side: users that each POST a request name drawn
// (by fire, from the plan's seed) from names, the alarm packet left out,
// and think think after each answer; and alarm devices that POST the alarm
// packet, resent until answered, and think between devMin and devMax
// (EN 50136 SP6 20 s … DP4 90 s). Each group starts spread over its
// shortest think, as unsynchronised clients would.
func Production(e *Encoder, seed int64, names []record.Request, users, devices int, think, devMin, devMax, duration time.Duration) error {
	if err := CheckProduction(users, devices, think, devMin, devMax); err != nil {
		return err
	}
	e.Encode(Header("production", seed))
	label := fmt.Sprintf("users=%d,devices=%d", users, devices)
	if users > 0 {
		others, err := WeightAlarms(names, 0)
		if err != nil {
			return err
		}
		e.Encode(&record.Plan{Type: record.TypeScenario, Name: "production-user", Group: "users", Order: "random",
			ThinkMS: *ms(think), Steps: others})
		e.Encode(&record.Plan{Type: record.TypeStage, AtMS: ms(0), Group: "users", Users: Ptr(users),
			SpawnRate: spread(users, think), Label: label})
	}
	if devices > 0 {
		alarm := AlarmStep
		alarm.Name, alarm.Path = AlarmName, "/"+AlarmName
		e.Encode(&record.Plan{Type: record.TypeScenario, Name: "alarm-device", Group: "devices",
			ThinkMS: *ms(devMin), ThinkMaxMS: *ms(devMax), Steps: []record.Request{alarm}})
		e.Encode(&record.Plan{Type: record.TypeStage, AtMS: ms(0), Group: "devices", Users: Ptr(devices),
			SpawnRate: spread(devices, devMin), Label: label})
	}
	return end(e, duration)
}

// CheckProduction checks the numbers of a production plan; its errors name
// the plan command's flags.
func CheckProduction(users, devices int, think, devMin, devMax time.Duration) error {
	switch {
	case users < 0 || users > MaxUsers:
		return fmt.Errorf("--users %d: expected 0 to %d (plan.MaxUsers)", users, MaxUsers)
	case devices < 0 || devices > MaxUsers:
		return fmt.Errorf("--devices %d: expected 0 to %d (plan.MaxUsers)", devices, MaxUsers)
	case users+devices == 0:
		return fmt.Errorf("--users 0 --devices 0: expected users or devices")
	case users+devices > MaxUsers:
		return fmt.Errorf("--users %d --devices %d: expected at most %d together (plan.MaxUsers)", users, devices, MaxUsers)
	case think < 0 || think > MaxDuration:
		return fmt.Errorf("--think %v: expected 0 to %v", think, MaxDuration)
	case devMin <= 0 || devMin > MaxDuration:
		return fmt.Errorf("--device-think-min %v: expected more than 0 and at most %v", devMin, MaxDuration)
	case devMax < devMin || devMax > MaxDuration:
		return fmt.Errorf("--device-think-max %v: expected --device-think-min %v to %v", devMax, devMin, MaxDuration)
	}
	return nil
}

// spread is the spawn rate that starts n users evenly over one think time;
// 0 (at once) when there is no think or when that would be faster than
// MaxSpawnRate (the same thing).
func spread(n int, over time.Duration) float64 {
	if over <= 0 {
		return 0
	}
	if r := float64(n) / over.Seconds(); r <= MaxSpawnRate {
		return r
	}
	return 0
}
