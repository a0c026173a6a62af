# perflab — see README.md. `make` builds every tool into bin/.
GO      ?= go
BIN     := bin
TOOLS   := plan fire histo plotrt rampctl
SIMS    := arssim teasim
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/perflab/perflab/lib/cli.Version=$(VERSION)

STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build test vet staticcheck tidy-check fmt-check bench demo fuzz clean

all: build

build:
	@mkdir -p $(BIN)
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/ $(addprefix ./tools/,$(TOOLS)) $(addprefix ./sims/,$(SIMS))

# make test: formatting, vet, unit and end-to-end tests (the e2e tests start the
# real binaries on loopback ports), the libraries again under the race
# detector, then a short fuzz run of every parser. The fuzz runs are counted
# in executions, not seconds: Go 1.26's fuzzer can fail a run that ends on a
# wall-clock -fuzztime with a spurious "context deadline exceeded" (golang/go#75804,
# fixed in Go 1.27; it failed our CI once).
test: build fmt-check vet staticcheck tidy-check
	$(GO) test -count=1 -timeout 600s ./...
	$(GO) test -race -count=1 -timeout 600s ./lib/... ./sims/...
	$(MAKE) --no-print-directory fuzz FUZZTIME=50000x

vet:
	$(GO) vet ./...

# staticcheck runs from the module proxy at a pinned version (no install step).
staticcheck:
	$(GO) run $(STATICCHECK) ./...

# go.mod and go.sum must be what `go mod tidy` makes of them.
tidy-check:
	@cp go.mod /tmp/perflab-go.mod.$$$$ && cp go.sum /tmp/perflab-go.sum.$$$$ && $(GO) mod tidy && \
	if ! cmp -s go.mod /tmp/perflab-go.mod.$$$$ || ! cmp -s go.sum /tmp/perflab-go.sum.$$$$; then \
		echo "go.mod/go.sum are not tidy: run go mod tidy"; cp /tmp/perflab-go.mod.$$$$ go.mod; cp /tmp/perflab-go.sum.$$$$ go.sum; exit 1; fi; \
	rm -f /tmp/perflab-go.mod.$$$$ /tmp/perflab-go.sum.$$$$

fmt-check:
	@out=$$(gofmt -l lib tools sims); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./lib/rtlog
	$(GO) test -run '^$$' -fuzz '^FuzzFailureLine$$' -fuzztime $(FUZZTIME) ./lib/rtlog
	$(GO) test -run '^$$' -fuzz '^FuzzReader$$' -fuzztime $(FUZZTIME) ./lib/record
	$(GO) test -run '^$$' -fuzz '^FuzzDecoder$$' -fuzztime $(FUZZTIME) ./lib/plan
	$(GO) test -run '^$$' -fuzz '^FuzzRequirement$$' -fuzztime $(FUZZTIME) ./lib/requirement
	$(GO) test -run '^$$' -fuzz '^FuzzStats$$' -fuzztime $(FUZZTIME) ./lib/stats
	$(GO) test -run '^$$' -fuzz '^FuzzStatsRecord$$' -fuzztime $(FUZZTIME) ./lib/stats
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./lib/hist
	$(GO) test -run '^$$' -fuzz '^FuzzTraceAndProfile$$' -fuzztime $(FUZZTIME) ./lib/plan
	$(GO) test -run '^$$' -fuzz '^FuzzReadTotalCount$$' -fuzztime $(FUZZTIME) ./lib/plan
	$(GO) test -run '^$$' -fuzz '^FuzzRequestNames$$' -fuzztime $(FUZZTIME) ./lib/plan
	$(GO) test -run '^$$' -fuzz '^FuzzFlags$$' -fuzztime $(FUZZTIME) ./lib/cmd/plan
	$(GO) test -run '^$$' -fuzz '^FuzzReadSteps$$' -fuzztime $(FUZZTIME) ./lib/ramp
	$(GO) test -run '^$$' -fuzz '^FuzzParseTarget$$' -fuzztime $(FUZZTIME) ./lib/fire
	$(GO) test -run '^$$' -fuzz '^FuzzSchedule$$' -fuzztime $(FUZZTIME) ./sims/arssim/ars
	$(GO) test -run '^$$' -fuzz '^FuzzParseLR$$' -fuzztime $(FUZZTIME) ./lib/regress
	$(GO) test -run '^$$' -fuzz '^FuzzRead$$' -fuzztime $(FUZZTIME) ./lib/plot
	$(GO) test -run '^$$' -fuzz '^FuzzRequests$$' -fuzztime $(FUZZTIME) ./sims/teasim/store
	$(GO) test -run '^$$' -fuzz '^FuzzReadWorkers$$' -fuzztime $(FUZZTIME) ./lib/ramp
	$(GO) test -run '^$$' -fuzz '^FuzzConfig$$' -fuzztime $(FUZZTIME) ./lib/simserver

# make bench: our tools against their peers, side by side (installs the peers).
bench: build
	bash bench/run.sh

# make demo: a short real experiment on loopback (simulator, load, statistics, plots).
demo: build
	bash pipelines/demo.sh

clean:
	rm -rf $(BIN) runs
