#!/bin/sh
# Scheduled retraining for cron (or any scheduler that reads an exit code): runs `propensity retrain`,
# writes one timestamped status line and acts on retrain's exit code.
#
#   training/retrain.sh [options] [DATA_DIR]
#
# Each option has an environment variable (the option wins):
#   DATA_DIR              $PROPENSITY_DATA          the CRM export folder (required)
#   --tracking-uri URI    $PROPENSITY_TRACKING_URI  MLflow store (else propensity's own default:
#                                                   $MLFLOW_TRACKING_URI, then sqlite:///./models/mlflow.db)
#   --model-name NAME     $PROPENSITY_MODEL_NAME    registered model (else the config's, lead-propensity)
#   --config FILE         $PROPENSITY_CONFIG        training config TOML
#   --features FILE       $PROPENSITY_FEATURES      feature-set TOML
#   --log FILE            $PROPENSITY_LOG           append retrain's output and the status line here
#                                                   (else they go to stdout)
#   --raw-exit            $PROPENSITY_RAW_EXIT=1    exit with retrain's own code (for a scheduler that
#                                                   maps the codes itself: training/airflow_dag.py)
#   $PROPENSITY_BIN       the propensity command (default: .venv/bin/propensity beside this folder,
#                         else propensity on PATH); split on spaces, e.g. "python -m propensity.cli"
#
# retrain's exit code -> what this script does (and its own exit code):
#   0 promoted  a new champion: status line, exit 0 (rescore the leads next)
#   3 kept      the champion stays (or this data and config were already judged): exit 0
#   4 locked    another retrain or rollback of the model is running: skipped quietly, exit 0
#   2 refused   bad input, too little data or a bad config: ALERT on stderr, exit 2
#   1 failed    an unexpected error: ALERT on stderr, exit 1
#   other       (e.g. 127: command not found, 130: interrupted): ALERT on stderr, that code
# It keeps no state of its own: running it again is safe (retrain trains nothing new on the same data
# and config, and answers kept).
#
# cron, Mondays 03:00, then scoring with whichever model is champion:
#   0 3 * * 1  cd /srv/propensity && training/retrain.sh --log logs/retrain.log /data/crm && .venv/bin/propensity -q score /data/crm --model models:/lead-propensity@champion --out scores/latest.csv >> logs/score.log 2>&1
set -u

usage() {
    echo "usage: training/retrain.sh [--tracking-uri URI] [--model-name NAME] [--config FILE] [--features FILE] [--log FILE] [--raw-exit] [DATA_DIR]" >&2
}

data=${PROPENSITY_DATA:-}
uri=${PROPENSITY_TRACKING_URI:-}
name=${PROPENSITY_MODEL_NAME:-}
config=${PROPENSITY_CONFIG:-}
features=${PROPENSITY_FEATURES:-}
logfile=${PROPENSITY_LOG:-}
raw=${PROPENSITY_RAW_EXIT:-0}

while [ $# -gt 0 ]; do
    case $1 in
        --tracking-uri|--model-name|--config|--features|--log)
            if [ $# -lt 2 ]; then echo "retrain.sh: $1 needs a value" >&2; usage; exit 2; fi
            case $1 in
                --tracking-uri) uri=$2 ;;
                --model-name) name=$2 ;;
                --config) config=$2 ;;
                --features) features=$2 ;;
                --log) logfile=$2 ;;
            esac
            shift 2 ;;
        --raw-exit) raw=1; shift ;;
        -h|--help) usage; exit 0 ;;
        -*) echo "retrain.sh: unknown option $1" >&2; usage; exit 2 ;;
        *) data=$1; shift ;;
    esac
done

stamp() { date -u +%Y-%m-%dT%H:%M:%SZ; }

# one status line: to the log file (or stdout), and to stderr as well when a person must act
status() {  # status ALERT|ok LINE
    line="$(stamp) propensity retrain ${name:-(model from config)} ${data:-(no DATA_DIR)}: $2"
    if [ -n "$logfile" ]; then printf '%s\n' "$line" >> "$logfile"; else printf '%s\n' "$line"; fi
    if [ "$1" = ALERT ]; then printf 'ALERT %s\n' "$line" >&2; fi
}

if [ -n "$logfile" ]; then
    mkdir -p "$(dirname "$logfile")" || exit 2
fi
if [ -z "$data" ]; then
    status ALERT "refused (exit 2): no CRM export given (DATA_DIR or \$PROPENSITY_DATA)"
    exit 2
fi

if [ -z "${PROPENSITY_BIN:-}" ]; then
    here=$(cd "$(dirname "$0")/.." && pwd)
    if [ -x "$here/.venv/bin/propensity" ]; then PROPENSITY_BIN=$here/.venv/bin/propensity; else PROPENSITY_BIN=propensity; fi
fi

set -- retrain "$data"
[ -n "$config" ] && set -- "$@" --config "$config"
[ -n "$features" ] && set -- "$@" --features "$features"
[ -n "$name" ] && set -- "$@" --model-name "$name"
[ -n "$uri" ] && set -- "$@" --tracking-uri "$uri"

out=$(mktemp "${TMPDIR:-/tmp}/propensity-retrain.XXXXXX") || exit 1
trap 'rm -f "$out"' EXIT
# shellcheck disable=SC2086  # PROPENSITY_BIN may be a command with arguments
$PROPENSITY_BIN -q "$@" > "$out" 2>&1
rc=$?
if [ -n "$logfile" ]; then cat "$out" >> "$logfile"; else cat "$out"; fi
error=$(grep -m 1 '^propensity: error:' "$out" | cut -c 1-500)

case $rc in
    0) status ok "promoted (exit 0): a new champion; rescore the leads"; code=0 ;;
    3) status ok "kept (exit 3): the champion stays (the challenger failed the gate, or this data and config were already judged)"; code=0 ;;
    4) status ok "locked (exit 4): another retrain or rollback of this model is running; skipped"; code=0 ;;
    2) status ALERT "refused (exit 2): bad input, too little data or a bad config; nothing changed${error:+: $error}"; code=2 ;;
    1) status ALERT "failed (exit 1): an unexpected error; the registry is as it was${error:+: $error}"; code=1 ;;
    *) status ALERT "failed (exit $rc): propensity did not finish (command: $PROPENSITY_BIN)"; code=$rc ;;
esac
if [ "$raw" = 1 ]; then exit "$rc"; fi
exit "$code"
