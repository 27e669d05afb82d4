# The test target is what CI runs (see .ci/run) and what the README names.
.PHONY: test fuzz bench

test:
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi
	go vet ./...
	go tool staticcheck ./...
	go test -race ./...
	$(MAKE) test-python

# test-python runs the Python client's tests (clients/python) against a
# tycho binary built from this tree (or $TYCHO_BIN).
.PHONY: test-python
test-python:
	python3 -m unittest discover -s clients/python/tests -v

# fuzz runs every fuzz target for FUZZTIME each: campaign files,
# constraints, CSV files, descriptor files, prior data, tables, API
# request bodies, driver results, stored results, chunk lists, dataset
# metadata and file paths, table schemas and CSV quality reports, quality
# reports as stored, RO-Crate imports, OpenLineage events and version
# manifests.
FUZZTIME ?= 30s
fuzz:
	go test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./spec
	go test -run='^$$' -fuzz='^FuzzDescriptors$$' -fuzztime=$(FUZZTIME) ./spec
	go test -run='^$$' -fuzz='^FuzzPriorData$$' -fuzztime=$(FUZZTIME) ./spec
	go test -run='^$$' -fuzz='^FuzzParseConstraint$$' -fuzztime=$(FUZZTIME) .
	go test -run='^$$' -fuzz='^FuzzCSV$$' -fuzztime=$(FUZZTIME) ./internal/csvfile
	go test -run='^$$' -fuzz='^FuzzTable$$' -fuzztime=$(FUZZTIME) ./table
	go test -run='^$$' -fuzz='^FuzzDecode$$' -fuzztime=$(FUZZTIME) ./http
	go test -run='^$$' -fuzz='^FuzzParseResult$$' -fuzztime=$(FUZZTIME) ./agent
	go test -run='^$$' -fuzz='^FuzzDecodeResult$$' -fuzztime=$(FUZZTIME) ./internal/storejson
	go test -run='^$$' -fuzz='^FuzzDecodeChunks$$' -fuzztime=$(FUZZTIME) ./internal/storejson
	go test -run='^$$' -fuzz='^FuzzDecodeMetadata$$' -fuzztime=$(FUZZTIME) ./internal/storejson
	go test -run='^$$' -fuzz='^FuzzValidFilePath$$' -fuzztime=$(FUZZTIME) .
	go test -run='^$$' -fuzz='^FuzzSchema$$' -fuzztime=$(FUZZTIME) ./quality
	go test -run='^$$' -fuzz='^FuzzCSVReport$$' -fuzztime=$(FUZZTIME) ./quality
	go test -run='^$$' -fuzz='^FuzzDecodeQuality$$' -fuzztime=$(FUZZTIME) ./internal/storejson
	go test -run='^$$' -fuzz='^FuzzImport$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=100x ./rocrate
	go test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./openlineage
	go test -run='^$$' -fuzz='^FuzzDecodeManifest$$' -fuzztime=$(FUZZTIME) ./http

bench:
	go test -run='^$$' -bench=. ./...
	go run ./cmd/tycho bench optimizer
