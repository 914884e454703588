# nicechat-relay: build, test and run. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

GO          ?= go
# Every Lambda is a folder of functions/; its SAM logical id is its name,
# capitalised, followed by Function (slack: SlackFunction).
FUNCTIONS   := $(notdir $(wildcard functions/*))
TOOLS_BIN   := $(CURDIR)/.bin
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
RIE         := $(TOOLS_BIN)/aws-lambda-rie
# Lambda binaries: provided.al2023 on arm64, static, no RPC path, stripped.
LAMBDA_ENV   := CGO_ENABLED=0 GOOS=linux GOARCH=arm64
LAMBDA_FLAGS := -trimpath -tags lambda.norpc -ldflags="-s -w"

export PATH := $(TOOLS_BIN):$(PATH)

.PHONY: help build test lint bench fuzz run demo tools generate clean FORCE

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

build: $(FUNCTIONS:%=build/%/bootstrap) ## build every Lambda as build/<fn>/bootstrap (linux/arm64)

build/%/bootstrap: FORCE
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $@ ./functions/$*

# sam build (Metadata: BuildMethod: makefile) runs build-<LogicalId> with
# ARTIFACTS_DIR set; the binary is the one `make build` makes, from
# functions/<logical id without Function, lower case> (SAM_FUNCTION, a path
# under functions/, overrides it: the cold-start benchmark builds its
# hello-world baseline with the same recipe).
build-%Function: FORCE
	@test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is not set: sam build sets it" >&2; exit 1; }
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/$(or $(SAM_FUNCTION),$(call lower,$*))

lower = $(shell echo '$(1)' | tr A-Z a-z)

# What the channel list (shared/channels) describes: template.yaml's
# channel regions, shared/ingest/routes.go, shared/settings/channels_gen.go,
# the README's channel tables and infra/samconfig.toml's NoEcho parameters.
# infra's TestEveryGeneratedFileIsCurrent fails while one is stale.
generate: ## write what the channel list describes: template.yaml's channel regions, ingest's routes, the README's channel tables
	$(GO) run ./cmd/generate

tools: $(RIE) ## install what the tests need and check what the image ships
	@command -v python3 >/dev/null && python3 -c 'import moto.server' 2>/dev/null || { echo "moto is missing: the tests run SQS and SES on moto (python3 -m moto.server); install it with: pip install 'moto[server]'" >&2; exit 1; }
	@command -v cfn-lint >/dev/null || { echo "cfn-lint is missing: install it with: pip install cfn-lint" >&2; exit 1; }

$(RIE):
	GOBIN=$(TOOLS_BIN) $(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

test: tools ## vet, lint the template, run every test against local SQS/SES, fuzz each target briefly
	$(GO) vet ./...
	cfn-lint template.yaml
	$(GO) test -count=1 ./...
	$(MAKE) --no-print-directory fuzz FUZZTIME=20000x

lint: ## gofmt, go vet and cfn-lint
	@unformatted=$$(find . -name '*.go' -not -path './.bin/*' -not -path './build/*' | xargs -r gofmt -l); \
	test -z "$$unformatted" || { echo "$$unformatted"; echo "run gofmt -w on the files above" >&2; exit 1; }
	$(GO) vet ./...
	cfn-lint template.yaml

# The benchmarks' output is kept in a file, from which TestBenchTable prints
# the figures of issue 14 beside their goals, with the machine; it never
# fails on a figure.
bench: tools ## print every figure: handler ns/op and allocs, batch wall time, local relay under load, bootstrap sizes and cold starts; then the goals' table
	@set -eo pipefail; out=$$(mktemp); trap 'rm -f "$$out"' EXIT; \
	$(GO) test -run '^$$' -bench . -benchmem -skip 'ColdStart|LocalRelayLoad' ./... | tee -a "$$out"; \
	$(GO) test -run '^$$' -bench 'LocalRelayLoad' -benchtime 1x ./cmd/relay | tee -a "$$out"; \
	$(GO) test -run '^$$' -bench 'ColdStart' -benchtime 20x ./infra | tee -a "$$out"; \
	BENCH_OUTPUT="$$out" $(GO) test -count=1 -run '^TestBenchTable$$' -v ./infra | grep -v -e '^=== RUN' -e '^--- PASS' -e '^PASS$$' -e '^ok '

# Go minimises each new corpus entry for up to 60 s by default, which stalls a short run.
# A duration can end in a bare "context deadline exceeded" with no crasher: that is Go's
# own race (go.dev/issue/75804, fixed in Go 1.27), not a finding; a count (FUZZTIME=100000x)
# avoids it, which is why make test fuzzes by count.
FUZZTIME  ?= 30s
FUZZFLAGS  = -run '^$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1s
# Every fuzz target of the module: Go fuzzes one target per run.
fuzz: ## run every fuzz target (the parser, each renderer, ingest), FUZZTIME each (default 30s)
	@set -e; for file in $$(grep -rl --include='*_test.go' '^func Fuzz' shared cmd); do \
	  for target in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$file); do \
	    echo "$(GO) test $(FUZZFLAGS) -fuzz '^$$target\$$' ./$$(dirname $$file)"; \
	    $(GO) test $(FUZZFLAGS) -fuzz "^$$target\$$" ./$$(dirname $$file); \
	  done; \
	done

# Built, then run directly rather than by `go run`, which answers Ctrl-C
# with exit status 1 however cleanly the relay stops.
run: ## run the whole relay locally: callbacks on 127.0.0.1:8080, status page and relayctl's API on 127.0.0.1:8090 (data in ./var)
	@$(GO) build -o $(TOOLS_BIN)/relay ./cmd/relay
	@exec $(TOOLS_BIN)/relay

demo: ## post every events/ example, about a new lead each run, to the relay `make run` started (found from $RELAY_DATA_DIR/relay.json, default ./var), and say what became of each
	$(GO) run ./cmd/relay demo

clean: ## remove build output and installed tools
	rm -rf build $(TOOLS_BIN)

FORCE:
