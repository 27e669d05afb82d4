# The test target is what CI runs (see .ci/run) and what the README names.
.PHONY: test fuzz bench

test:
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi
	go vet ./...
	go tool staticcheck ./...
	go test -race ./...

# fuzz runs every fuzz target for FUZZTIME each.
FUZZTIME ?= 30s
fuzz:
	go test -run='^$$' -fuzz=FuzzParse -fuzztime=$(FUZZTIME) ./spec

bench:
	go test -run='^$$' -bench=. ./...
	go run ./cmd/tycho bench optimizer
