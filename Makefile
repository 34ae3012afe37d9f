# Foodshare developer commands. `make serve` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
PORT   ?= 3000
USER_ID ?= $(or $(filter-out root,$(USER)),demo-user)

export PYTHONPATH := $(CURDIR):$(CURDIR)/layers/foodshare/python

.PHONY: venv serve test token openapi lint clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

venv: $(STAMP)

## Start the whole stack locally (API on http://127.0.0.1:$(PORT), AWS on embedded moto).
serve: venv
	$(BIN)/python -m local.server --port $(PORT)

## Run the whole test suite (real Redis on 127.0.0.1:6379 when it answers).
test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Print a bearer token the local stack accepts: make token USER=alice
token: venv
	@$(BIN)/python -m local.token $(USER_ID)

## Write the OpenAPI document generated from the handlers' routes.
openapi: venv
	$(BIN)/python -m local.openapi docs/openapi.json

clean:
	rm -rf $(VENV) .local cdk.out build .pytest_cache

# ---- infrastructure (docs/deploy.md) ------------------------------------------------
STAGE   ?= dev
CDK_CLI := npx --yes aws-cdk@2.1148.1

.PHONY: layer synth cdk-diff deploy

## Build the shared Lambda layer into build/layer without Docker (pip only when requirements.txt changed).
layer: venv
	$(BIN)/python scripts/build_layer.py

## Synthesize both stages into cdk.out/<stage>, offline, with cdk-nag's checks; no AWS credentials needed.
synth: layer
	for stage in dev prod; do \
	  CDK_CONTEXT_JSON='{"stage":"'$$stage'"}' CDK_OUTDIR=cdk.out/$$stage $(BIN)/python app.py || exit 1; \
	  echo "synthesized cdk.out/$$stage"; \
	done

## Compare a stage with what is deployed: make cdk-diff STAGE=prod (needs AWS credentials).
cdk-diff: layer
	$(CDK_CLI) diff -c stage=$(STAGE)

## Deploy a stage: make deploy STAGE=prod (needs AWS credentials and a bootstrapped account).
deploy: layer
	$(CDK_CLI) deploy -c stage=$(STAGE) --require-approval broadening

# ---- event backbone (docs/events.md) ------------------------------------------------
.PHONY: replay bench-events

## Rebuild reputation and group read models from the event store of the configured table (pause consumers first).
replay: venv
	$(BIN)/python scripts/replay.py --verify

## Event -> effect latency through the local stack (20 runs; target p95 < 1 s).
bench-events: venv
	$(BIN)/python -m benchmarks.event_to_effect --runs 20

## Cache: cached discovery vs a raw Redis GET and vs DynamoDB, hit rate of a browse-heavy mix, p95 of cache operations.
bench-cache: venv
	$(BIN)/python -m benchmarks.cache_bench

# ---- trust and safety (docs/trust-safety.md) ----------------------------------------------
.PHONY: bench-abuse
ABUSE_USERS ?= 200  # the goal's 2,000 takes ~35 CPU-minutes (docs/trust-safety.md)

## Planted abusers in a synthetic community through the fraud-signals consumer: detection, false positives, time to flag.
bench-abuse: venv
	$(BIN)/python -m benchmarks.abuse --users $(ABUSE_USERS)

# ---- performance (docs/performance.md) -------------------------------------------------
SEED     ?= 200,2000,10000
SCENARIO ?= daily_peak
USERS    ?= 10
DURATION ?= 60

.PHONY: bench seed loadtest capacity

## Benchmarks (cold starts, warm routes, cache, event to effect, claim race): a table and bench-results.json.
bench: venv
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

## Start the local stack seeded with realistic data (groups,users,posts), then serve it on $(PORT).
seed: venv
	$(BIN)/python -m local.server --port $(PORT) --seed $(SEED)

## Load test a scenario (daily_peak, viral_growth, sustained_growth); HOST=<url> drives a running stack.
loadtest: venv
	$(BIN)/python -m benchmarks.loadtest --scenario $(SCENARIO) --users $(USERS) --duration $(DURATION) \
	  $(if $(HOST),--host $(HOST)) $(LOADTEST_ARGS)

## Capacity plan from benchmarks/measured-durations.json; CAPACITY_ARGS=--write puts it into cdk.json (prod).
capacity: venv
	$(BIN)/python -m benchmarks.capacity $(CAPACITY_ARGS)
