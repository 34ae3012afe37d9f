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
