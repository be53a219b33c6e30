# Two commands set up and run everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: install demo test clean xeducation bench bench-quality

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: install
	$(BIN)/propensity demo

test: install
	$(BIN)/pytest -q

# The README's worked example: the real X Education leads (not shipped; read from ../shared), from raw
# CSV to a registered model, its figures beside the company's own scores, scores and the HTML report.
XEDU ?= ../shared/data/x_education
xeducation: install
	$(BIN)/propensity train --table "$(XEDU)/Leads.csv" --target Converted --id "Prospect ID" \
	    --compare "Asymmetrique Activity Score" --compare "Lead Quality" --model-name x-education
	$(BIN)/propensity score --table "$(XEDU)/Leads.csv" --model models:/x-education@champion --out scores/x-education-scores.csv
	$(BIN)/propensity report --model models:/x-education@champion --out reports/x-education.html

# Speed and memory at batch scale (not part of `make test`): generates ~1M-contact exports once under
# bench/ (gitignored, several GB), then writes bench/results.md. Takes a while; run it on a quiet machine.
bench: install
	$(BIN)/python benchmarks/bench.py

# Model quality on generated data (not part of `make test`): 10,000 and 40,000 contacts, seeds 0-2,
# model vs hand-tuned points vs learned points vs the generator's oracle; writes bench/quality.md
# and logs to sqlite:///bench/quality-mlflow/mlflow.db. About 10 minutes on 2 cores.
bench-quality: install
	$(BIN)/python benchmarks/quality.py

clean:
	rm -rf data/demo-crm scores reports models/mlflow.db models/artifacts
