# Foodshare developer commands. `make serve` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
PORT   ?= 3000
EMULATOR_PORT ?= 4566
STACK_VENV  := .local/stack-venv
STACK_STAMP := $(STACK_VENV)/.installed-$(shell cat requirements-stack.txt | cksum | cut -d' ' -f1)
USER_ID ?= $(or $(filter-out root,$(USER)),demo-user)

export PYTHONPATH := $(CURDIR):$(CURDIR)/layers/foodshare/python

.PHONY: venv stack-venv prerequisites serve test rehearse token openapi fuzz lint clean

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || \
	  { echo "Foodshare needs Python 3.11 or newer as $(PYTHON) (found: $$($(PYTHON) --version 2>&1)); PYTHON=/path/to/python3.11 make ..." >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

venv: $(STAMP)

# The AWS emulator (ministack) in its own virtualenv: it pins a botocore our boto3 conflicts with.
$(STACK_STAMP): requirements-stack.txt | $(STAMP)
	test -x $(STACK_VENV)/bin/python || $(PYTHON) -m venv $(STACK_VENV)
	$(STACK_VENV)/bin/python -m pip install -q -r requirements-stack.txt
	rm -f $(STACK_VENV)/.installed-*
	touch $@

stack-venv: $(STACK_STAMP)

# Synthesis needs Node (the CDK's jsii runtime); a given TEMPLATE does not.
prerequisites:
	@$(if $(TEMPLATE),,command -v node >/dev/null 2>&1 || { echo "make serve synthesizes the CDK app, which needs Node.js 18+ on the PATH (https://nodejs.org); or serve an already synthesized template: make serve TEMPLATE=path/to/Foodshare-dev.template.json" >&2; exit 1; })

## The CDK app's own template (dev, synthesis cached) deployed onto ministack: API on http://127.0.0.1:$(PORT),
## the AWS endpoint on http://127.0.0.1:$(EMULATOR_PORT). TEMPLATE=path serves a given synthesized template.
serve: venv stack-venv prerequisites
	@$(BIN)/python -m local.serve --port $(PORT) --emulator-port $(EMULATOR_PORT) $(if $(TEMPLATE),--template $(TEMPLATE))

## Run the whole test suite (real Redis on 127.0.0.1:6379 when it answers).
test: venv stack-venv prerequisites
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## The rehearsal alone: the synthesized template deployed on the emulator, end-to-end flows through its API.
rehearse: venv stack-venv prerequisites
	$(BIN)/python -m pytest tests/stack $(PYTEST_ARGS)

## Print a bearer token the local stack accepts: make token USER=alice
token: venv
	@$(BIN)/python -m local.token $(USER_ID)

## Write the OpenAPI document generated from the handlers' routes.
openapi: venv
	$(BIN)/python -m local.openapi docs/openapi.json

## Fuzz the running local stack against docs/openapi.json (larger than the CI run: coverage phase, 60 examples).
fuzz: venv
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-60} FUZZ_PHASES=$${FUZZ_PHASES:-examples,coverage,fuzzing} \
	  $(BIN)/python -m pytest tests/contract/test_fuzz.py -q $(PYTEST_ARGS)

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

## Deploy a stage: make deploy STAGE=prod (needs AWS credentials and a bootstrapped account);
## DEPLOY_ARGS="--parameters TelegramBotUsername=FoodshareBot" sets stack parameters (docs/bots.md).
deploy: layer
	$(CDK_CLI) deploy -c stage=$(STAGE) --require-approval broadening $(DEPLOY_ARGS)

# ---- chat bots (docs/bots.md) --------------------------------------------------------
.PHONY: telegram-webhook slack-manifest

## Register the deployed Telegram webhook (URL and secrets from the stack): make telegram-webhook STAGE=prod
telegram-webhook: venv
	$(BIN)/python -m scripts.bots telegram-webhook --stage $(STAGE) $(if $(ENDPOINT_URL),--endpoint-url $(ENDPOINT_URL))

## Write slack/manifest.yml for the deployed stage's Slack app: make slack-manifest STAGE=prod
slack-manifest: venv
	$(BIN)/python -m scripts.bots slack-manifest --stage $(STAGE) $(if $(ENDPOINT_URL),--endpoint-url $(ENDPOINT_URL))

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
## The moderation queue's calls, items and CPU as open reports pile up (docs/performance.md).
.PHONY: bench-queue
bench-queue: venv
	$(BIN)/python -m benchmarks.queue_length

.PHONY: bench-abuse
ABUSE_USERS ?= 2000  # the issue's community size; a run takes minutes (docs/trust-safety.md)

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
seed: venv stack-venv prerequisites
	$(BIN)/python -m local.serve --port $(PORT) --emulator-port $(EMULATOR_PORT) --seed $(SEED)

## Load test a scenario (daily_peak, viral_growth, sustained_growth); HOST=<url> drives a running stack;
## SHAPE=baseline|stress|spike|soak shapes the users over time (USERS = the peak; docs/performance.md).
loadtest: venv
	$(BIN)/python -m benchmarks.loadtest --scenario $(SCENARIO) --users $(USERS) --duration $(DURATION) \
	  $(if $(HOST),--host $(HOST)) $(if $(SHAPE),--shape $(SHAPE)) $(LOADTEST_ARGS)

## Capacity plan from benchmarks/measured-durations.json; CAPACITY_ARGS=--write puts it into cdk.json (prod).
capacity: venv
	$(BIN)/python -m benchmarks.capacity $(CAPACITY_ARGS)

# ---- operations (docs/slo.md, docs/runbook.md) -------------------------------------------
SLO_SOURCE ?= loadtest

.PHONY: slo-report

## SLO attainment and error budget left: from the newest load test (default) or SLO_SOURCE=cloudwatch STAGE=prod.
slo-report: venv
	$(BIN)/python scripts/slo_report.py --source $(SLO_SOURCE) --stage $(STAGE) $(SLO_ARGS)

.PHONY: restore-drill

## Restore drill: rehearsed on the served stack (dev template on the emulator, point-in-time history on); with STAGE=<s> on the command line, the deployed stage's table.
restore-drill: venv $(if $(filter command line,$(origin STAGE)),,stack-venv prerequisites)
	$(BIN)/python scripts/restore_drill.py $(if $(filter command line,$(origin STAGE)),--stage $(STAGE),--rehearse) $(DRILL_ARGS)
