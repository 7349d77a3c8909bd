# Two commands do all setup on a fresh machine (Python >= 3.11, Java 17, npm):
#   make run    the API with GraphiQL on a seeded local table
#   make test   lint, type-check and the whole suite against the real DynamoDB Local
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

# Downloads are cached outside the source tree.
CACHE_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/singlet

# DynamoDB Local 1.25.1, as shipped in this npm package (pinned and checksum-verified).
DDB_PACKAGE := amplify-dynamodb-simulator
DDB_VERSION := 2.9.30
DDB_SHA256 := 3503ffac19f183407909fecdacf4db51ab1fdad1da7b2f177016670b2d80e4b9
DDB_HOME := $(CACHE_DIR)/dynamodb-local-$(DDB_VERSION)
export DYNAMODB_LOCAL_DIR := $(DDB_HOME)/package/emulator

# With DYNAMODB_ENDPOINT_URL set, everything uses that endpoint and nothing is fetched.
NEEDS_LOCAL := $(if $(DYNAMODB_ENDPOINT_URL),,dynamodb-local)

.PHONY: install dynamodb-local graphiql-assets chromium clients lint test run schema package deploy bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml tools/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	  || { echo "singlet: Python 3.11 or newer is needed (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "singlet: installing Python dependencies into $(VENV) (a minute or two the first time)"
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar off -e '.[dev]' -e ./tools
	touch $@

dynamodb-local: $(DYNAMODB_LOCAL_DIR)/DynamoDBLocal.jar

$(DYNAMODB_LOCAL_DIR)/DynamoDBLocal.jar:
	@command -v java >/dev/null \
	  || { echo "singlet: DynamoDB Local needs Java 17: install a JRE (e.g. apt-get install openjdk-17-jre-headless)"; exit 1; }
	@command -v npm >/dev/null \
	  || { echo "singlet: fetching DynamoDB Local needs npm: install Node.js and npm (e.g. apt-get install npm)"; exit 1; }
	rm -rf $(DDB_HOME).part && mkdir -p $(DDB_HOME).part
	cd $(DDB_HOME).part && npm pack --silent $(DDB_PACKAGE)@$(DDB_VERSION) >/dev/null
	echo "$(DDB_SHA256)  $(DDB_HOME).part/$(DDB_PACKAGE)-$(DDB_VERSION).tgz" | sha256sum --check --quiet
	tar -xzf $(DDB_HOME).part/$(DDB_PACKAGE)-$(DDB_VERSION).tgz -C $(DDB_HOME).part package/emulator
	rm -f $(DDB_HOME).part/*.tgz
	rm -rf $(DDB_HOME) && mv $(DDB_HOME).part $(DDB_HOME)
	touch $@

# The GraphQL clients tests/clients runs (graphql-http's audit, graphql-request, Apollo Client),
# installed from its lock file into the cache; again only when the lock or node_modules changes.
CLIENTS_DIR := $(CACHE_DIR)/clients
export SINGLET_CLIENTS_DIR := $(CLIENTS_DIR)

clients: $(CLIENTS_DIR)/node_modules/.singlet-installed

$(CLIENTS_DIR)/node_modules/.singlet-installed: tests/clients/package.json tests/clients/package-lock.json
	@command -v npm >/dev/null \
	  || { echo "singlet: the client tests need Node.js and npm: install them (e.g. apt-get install npm)"; exit 1; }
	mkdir -p $(CLIENTS_DIR)
	cp tests/clients/package.json tests/clients/package-lock.json $(CLIENTS_DIR)/
	npm ci --prefix $(CLIENTS_DIR) --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# Debian's Chromium for the GraphiQL browser test (Playwright drives it; it never downloads one).
chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the browser test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "singlet: the GraphiQL browser test needs Chromium (apt-get install chromium): skipping it"; \
	  fi; }

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/cfn-lint infra/template.yaml

test: install $(NEEDS_LOCAL) graphiql-assets chromium clients lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) build .mypy_cache .ruff_cache .pytest_cache *.egg-info

graphiql-assets: install api/static/vendor/.installed

api/static/vendor/.installed: api/graphiql.py
	@command -v npm >/dev/null \
	  || { echo "singlet: fetching GraphiQL's assets needs npm: install Node.js and npm"; exit 1; }
	$(BIN)/python -m singlet_tools.graphiql
	touch $@

# Generated, checked in, and checked for drift by tests: the SDL and the table's shape.
schema: install
	$(BIN)/strawberry export-schema resolvers.schema:schema --output schema.graphql
	$(BIN)/python -m singlet_tools.tables
	$(BIN)/python -m singlet_tools.cors

# make run DATA=dir keeps DynamoDB Local's tables in dir between runs (default: in memory).
run: install $(NEEDS_LOCAL) graphiql-assets
	$(BIN)/singlet dev $(if $(DATA),--data "$(DATA)")

# The Lambda artifact (arm64, CPython 3.13) that infra/template.yaml deploys.
package: install graphiql-assets
	$(BIN)/python infra/package.py --arch arm64 --python 3.13 --output build/lambda-arm64.zip

# make deploy STAGE=prod PARAMS="JwksUrl=https://... CursorSecret=..."
STAGE ?= dev
PARAMS ?=
deploy: package
	@command -v sam >/dev/null \
	  || { echo "singlet: make deploy needs the AWS SAM CLI (pip install aws-sam-cli) and AWS credentials"; exit 1; }
	sam deploy --template-file infra/template.yaml --stack-name singlet-$(STAGE) \
	  --capabilities CAPABILITY_IAM --resolve-s3 --no-fail-on-empty-changeset \
	  --parameter-overrides Stage=$(STAGE) $(PARAMS)
	@aws cloudformation describe-stacks --stack-name singlet-$(STAGE) \
	  --query "Stacks[0].Outputs" --output table 2>/dev/null || true

# Benchmarks: numbers for the README, never timed assertions in tests. SCALE=small: quick.
bench: install $(NEEDS_LOCAL) graphiql-assets
	$(BIN)/python -m bench.compare --scale $(or $(SCALE),default)
	$(BIN)/python -m bench.scale $(if $(filter small,$(SCALE)),--sizes 2k --iterations 3)
	$(BIN)/python -m bench.cold_start
	$(BIN)/python -m bench.floor $(if $(filter small,$(SCALE)),--iterations 100 --warmup 20)
	$(BIN)/python -m bench.events $(if $(filter small,$(SCALE)),--writes 300 --lag-writes 50)
	$(BIN)/python -m bench.limiter $(if $(filter small,$(SCALE)),--iterations 50 --warmup 10)
