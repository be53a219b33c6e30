#!/usr/bin/env bash
# Usage: benchmarks/compare_run.sh REPO OUTDIR: a deterministic pipeline (generate 4,000 contacts, train with a
# deterministic 3-trial search, score, explain, report) whose outputs two checkouts can compare byte for byte
# (md5.txt; the report and train log normalised for run ids and times). PYTHON: the interpreter (default python).
set -euo pipefail
REPO=$1; OUT=$2; rm -rf "$OUT"; mkdir -p "$OUT"; cd "$OUT"
PY="env PYTHONPATH=$REPO ${PYTHON:-python} -c 'import sys; from propensity.cli import main; sys.exit(main(sys.argv[1:]))'"
sed 's/^deterministic = false/deterministic = true/; s/^trials = 8/trials = 3/' $REPO/training/default.toml > train.toml
run() { eval "$PY" "$@"; }
run generate crm --contacts 4000 --seed 3 --format csv > gen.log 2>&1
MLFLOW_TRACKING_URI=sqlite:///$OUT/mlflow.db run train crm --config train.toml --model-name cmp > train.log 2>&1 || echo "train exit $?"
MLFLOW_TRACKING_URI=sqlite:///$OUT/mlflow.db run score crm --model models:/cmp@champion --out scores.csv > score.log 2>&1
MLFLOW_TRACKING_URI=sqlite:///$OUT/mlflow.db run explain crm --model models:/cmp@champion > explain.log 2>&1 || true
MLFLOW_TRACKING_URI=sqlite:///$OUT/mlflow.db run report --model models:/cmp@champion --out report.html > report.log 2>&1 || true
md5sum scores.csv crm/*.csv report.html | tee md5.txt
sed -E 's/[0-9a-f]{32}/RUNID/g; s/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]+\+00:00/TS/g' report.html | md5sum | sed 's/-$/report.normalized/' | tee -a md5.txt
grep -vE "MLflow run|search:|in [0-9]+ s" train.log | sed -E 's/[0-9a-f]{32}/RUNID/g' | md5sum | sed 's/-$/train.log.normalized/' | tee -a md5.txt
