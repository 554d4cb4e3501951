# Reach: `make demo` shows it working; `make test` proves it. Both install what is missing.
SHELL := /bin/bash
export UV_PYTHON ?= python3.11
export UV_PYTHON_DOWNLOADS := never
UV := python3 -m uv
RUN := $(UV) run --frozen

.PHONY: help install demo test test-fast faults lint format contracts kafka-up kafka-down postgres-up postgres-down clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

.venv/.installed: uv.lock pyproject.toml $(wildcard */pyproject.toml */*/pyproject.toml)
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen --all-packages
	touch $@

install: .venv/.installed  ## the Python workspace, locked (uv.lock)

demo: install kafka-up  ## Kafka + the five services on SQLite, a synthetic brokerage day, what Reach did
	$(RUN) python -m reach_sim.demo

test: install  ## every test; starts Kafka and PostgreSQL itself
	$(RUN) pytest -q -p no:cacheprovider

test-fast:  install ## unit and contract tests only (no servers)
	$(RUN) pytest -q -m "not kafka and not postgres"

faults: install  ## the fault suite on its own Kafka (19192) and PostgreSQL (55532): FAULTS_EVENTS (50000), FAULTS_SEED; table in .local/faults/results.md
	FAULTS_EVENTS=$${FAULTS_EVENTS:-50000} $(RUN) pytest -q -p no:cacheprovider -s -m faults tests/faults

lint: install  ## ruff, and the generated contract files are fresh
	$(RUN) ruff check .
	$(RUN) reach-contracts --check

format: install
	$(RUN) ruff check --fix . && $(RUN) ruff format .

contracts: install  ## regenerate JSON Schema and AsyncAPI from the pydantic models
	$(RUN) reach-contracts

deploy-check: install  ## the image, docker-compose.yml and the Helm chart (builds helm once into ~/.cache/reach)
	$(RUN) pytest -q -p no:cacheprovider -m deploy tests/deploy

kafka-up:  ## start the local single-node Kafka (KRaft) on 127.0.0.1:9092
	infra/kafka/kafka.sh start

kafka-down:
	infra/kafka/kafka.sh stop

postgres-up:  ## start the local PostgreSQL on 127.0.0.1:55432 with one database per service
	infra/postgres/postgres.sh start

postgres-down:
	infra/postgres/postgres.sh stop

segments: install  ## load the ready-made segment library into the segmenter at SEGMENTER_URL (idempotent)
	$(RUN) python -m reach_segmenter.library load --url $${SEGMENTER_URL:-http://127.0.0.1:8102}

campaigns: install  ## load the ready-made campaigns as drafts into the campaign service at CAMPAIGN_URL (after make segments; idempotent)
	$(RUN) python -m reach_campaign.library load --url $${CAMPAIGN_URL:-http://127.0.0.1:8103} --segmenter-url $${SEGMENTER_URL:-http://127.0.0.1:8102}

clean:  ## stop local servers and remove local data (.local)
	-infra/kafka/kafka.sh stop
	-infra/postgres/postgres.sh stop
	rm -rf .local
