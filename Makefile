# Two commands set up and run everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: install demo test test-slow docs clean xeducation bench bench-quality

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: install
	$(BIN)/propensity demo

# The everyday suite: every rule except the end-to-end runs that train real models (marked `slow`).
test: install
	$(BIN)/pytest -q -m "not slow"

# The end-to-end runs (train, register, score, report, retrain, Spark, X Education): CI runs them after `make test`.
test-slow: install
	$(BIN)/pytest -q -m slow

# The documentation site (docs/, mkdocs.yml) built into site/; --strict: a broken link or anchor, or a
# page left out of the navigation, fails the build. Installs the `docs` extra (mkdocs, mkdocs-material).
docs: $(VENV)/.docs-installed
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

$(VENV)/.docs-installed: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[docs]'
	touch $@

# The worked example (docs/flat-tables.md): the real X Education leads (not shipped; read from ../shared), from raw
# CSV to a registered model, its figures beside the company's own scores, scores and the HTML report.
XEDU ?= ../shared/data/x_education
xeducation: install
	$(BIN)/propensity train --table "$(XEDU)/Leads.csv" --target Converted --id "Prospect ID" \
	    --compare "Asymmetrique Activity Score" --compare "Lead Quality" --model-name x-education
	$(BIN)/propensity score --table "$(XEDU)/Leads.csv" --model models:/x-education@champion --out scores/x-education-scores.csv
	$(BIN)/propensity report --model models:/x-education@champion --out reports/x-education.html

# Speed and memory at batch scale (not part of `make test`): generates ~1M-contact exports and 20M- and
# 80M-event training exports once under bench/ (gitignored, several GB), then writes bench/results.md:
# features, `propensity train` (1x, every row, 4x), `propensity score`. Takes a while; run it on a quiet machine.
bench: install
	$(BIN)/python benchmarks/bench.py

# Model quality on generated data (not part of `make test`), seeds 0-2. `long`: 18-month exports of
# 10,000 and 40,000 contacts, model vs hand-tuned points vs learned points vs the generator's oracle
# on the training's validation leads. `cut`: exports cut at an export date (cut-15m, cut-12m, a
# drifting base rate drift-15m, a thin thin-12m), trained on, scored at the cut and judged on the 90
# days after it, beside the points, a one-page LightGBM and the oracle; and match-12m: lead-to-account
# matching (half the account ids blanked and matched back by email domain). Pick with
# SCENARIOS="long cut" (or scenario names). Writes bench/quality.md and logs to
# sqlite:///bench/quality-mlflow/mlflow.db; exits 1 when a target is missed. About 25 minutes on 2 quiet cores (longer on a busy machine), plus match-12m's three trainings per seed (18 min for seed 0 on a busy machine).
SCENARIOS ?= long cut
bench-quality: install
	$(BIN)/python benchmarks/quality.py --scenarios $(SCENARIOS)

clean:
	rm -rf data/demo-crm scores reports models/mlflow.db models/artifacts site
