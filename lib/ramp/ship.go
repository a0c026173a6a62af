package ramp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Shipping fire: rampctl --workers copies this machine's fire to every
// worker for the run, as pipelines/distributed.sh does with GNU parallel's
// --basefile, so a bare host needs nothing of perflab. The copy goes over
// the worker's own command (whatever ssh options its line has) into a
// directory of the run under its login directory, is checked (size, and
// that it runs there), and is removed when that worker's fire ends.

// shipRoot is the directory under a worker's login directory that holds
// each run's fire.
const shipRoot = ".perflab-rampctl"

// shipLimit bounds the workers shipped to at once.
const shipLimit = 16

// shipTimeout bounds one worker's copy: a binary of some megabytes.
const shipTimeout = 5 * time.Minute

// shipAll copies the fire binary at local to every worker but ":" for
// run. It returns each worker's directory of it ("" for ":"); on an error
// none is left behind.
func shipAll(ws []Worker, local, run string) ([]string, error) {
	fi, err := os.Stat(local)
	if err != nil {
		return nil, fmt.Errorf("shipping fire: %v", err)
	}
	dirs := make([]string, len(ws))
	errs := make([]error, len(ws))
	sem := make(chan struct{}, shipLimit)
	var wg sync.WaitGroup
	for i, w := range ws {
		if w.Local() {
			continue
		}
		dirs[i] = shipRoot + "/" + run + "-" + strconv.Itoa(i+1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := w.ship(local, fi.Size(), dirs[i]); err != nil {
				errs[i] = fmt.Errorf("shipping fire to worker %d of %d (%s): %v", i+1, len(ws), w.Line, err)
			}
		}()
	}
	wg.Wait()
	if err := firstErr(errs); err != nil {
		for i, w := range ws {
			if dirs[i] != "" && errs[i] == nil {
				w.Command(context.Background(), inSh(removeShipped(dirs[i]))).Run()
			}
		}
		return nil, err
	}
	return dirs, nil
}

func firstErr(errs []error) error {
	n, first := 0, error(nil)
	for _, err := range errs {
		if err != nil {
			if n++; first == nil {
				first = err
			}
		}
	}
	if n > 1 {
		return fmt.Errorf("%v (and %d workers more)", first, n-1)
	}
	return first
}

// Exit codes of the shipping script, each a reason.
const (
	shipNoDir   = 90 // the directory cannot be made
	shipNoWrite = 91 // the copy cannot be written
	shipShort   = 92 // it arrived incomplete
	shipNoRun   = 93 // it does not run there
)

// ship copies local (size bytes) into dir on the worker and checks that it
// runs there (fire --version).
func (w Worker) ship(local string, size int64, dir string) error {
	f, err := os.Open(local)
	if err != nil {
		return err
	}
	defer f.Close()
	q := shellQuote(dir)
	script := fmt.Sprintf(`d=%s
mkdir -p "$d" || exit %d
cat > "$d/fire" && chmod 755 "$d/fire" || exit %d
n=$(wc -c < "$d/fire"); [ "$n" -eq %d ] || { echo "$n of %d bytes arrived"; exit %d; }
"$d/fire" --version > /dev/null || exit %d`, q, shipNoDir, shipNoWrite, size, size, shipShort, shipNoRun)
	ctx, cancel := context.WithTimeout(context.Background(), shipTimeout)
	defer cancel()
	var out bytes.Buffer
	cmd := w.Command(ctx, inSh(script))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = f, &out, &out
	err = cmd.Run()
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		err = fmt.Errorf("not done in %v", shipTimeout)
	}
	w.Command(context.Background(), inSh(removeShipped(dir))).Run()
	return shipWhy(err, dir, lastLine(out.String()))
}

// shipWhy says why shipping failed, with the worker's last word.
func shipWhy(err error, dir, said string) error {
	var ee *exec.ExitError
	code := -1
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	}
	why := map[int]string{
		shipNoDir:   "cannot make " + dir + " in its login directory",
		shipNoWrite: "cannot write " + dir + "/fire",
		shipShort:   "the copy arrived incomplete",
		shipNoRun:   "the fire built here does not run there (another system or architecture? then install fire there and give --fire its path)",
		255:         "ssh failed",
	}[code]
	if why == "" {
		why = err.Error()
	}
	if said != "" {
		why += ": " + said
	}
	return errors.New(why)
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// runShipped is the remote command that runs the fire shipped to dir with
// args (quoted), removes it when it ends, and exits with fire's status.
func runShipped(dir, args string) string {
	return inSh(fmt.Sprintf(`%s/fire %s; rc=$?; %s; exit $rc`, shellQuote(dir), args, removeShipped(dir)))
}

// inSh runs a script with sh whatever the login shell of the worker.
func inSh(script string) string { return "sh -c " + shellQuote(script) }

// removeShipped removes a shipped fire's directory (and the root, once empty).
func removeShipped(dir string) string {
	return fmt.Sprintf("rm -rf %s; rmdir %s 2>/dev/null; true", shellQuote(dir), shipRoot)
}
