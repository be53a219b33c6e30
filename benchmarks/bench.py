"""`make bench`: speed and memory of propensity at batch scale, against a plain polars query.

Generates once (cached under bench/, gitignored) a Parquet export of about 20M events and one of
1M contacts (and 4x that, for memory growth), in account-disjoint shards of `generate_crm`, then
measures and writes bench/results.md (also printed):

* feature build for one cutoff (events/s) and a plain polars reference query computing the same
  per-type counts and recencies, with the ratio ours / reference;
* a 12-cutoff training set on the 20M-event export;
* `propensity train` end to end (training set, leakage guard, search, backtest, refit, MLflow
  registration; a subprocess: wall time, peak RSS) on the 20M-event export and on a 4x one (80M
  events), and the backtest ROC AUC of the downsampled model against the same training fitted on
  every row (`[sampling] negative_rate = 1`) on the same judged leads;
* `propensity score` end to end with reasons for every lead (a subprocess: wall time, peak RSS)
  at 1x and 4x the data, and the RSS growth;
* reasons' top-3 fields against exact TreeSHAP (`pred_contrib`) on 10,000 sampled leads;
* `propensity --help` start-up.

Usage: python benchmarks/bench.py [--scale 0.1] [--skip-4x] [--train-only]   (scale shrinks every export)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = sys.executable
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
CLI = str(Path(PYTHON).with_name("propensity"))
SHARD_CONTACTS = 125_000
MONTHS_BIG = 9  # about 40 events per contact
MONTHS_TRAIN = 24  # 12 cutoffs fit the forward split


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ------------------------------------------------------------------ data
def build_export(name: str, n_contacts: int, months: int, seed0: int) -> Path:
    """An export of `n_contacts` in shards of `generate_crm`, ids prefixed by shard: cached."""
    from propensity.synthetic._generate import generate_crm

    out = BENCH / name
    if (out / "contacts.parquet").exists():
        return out
    tmp = BENCH / f".{name}.building"
    shutil.rmtree(tmp, ignore_errors=True)
    shards = max(1, -(-n_contacts // SHARD_CONTACTS))
    per = -(-n_contacts // shards)
    parts: dict[str, list[Path]] = {t: [] for t in ("contacts", "accounts", "events", "outcomes")}
    for i in range(shards):
        d = tmp / f"shard{i}"
        log(f"{name}: generating shard {i + 1}/{shards} ({per:,} contacts, {months} months)")
        generate_crm(d, n_contacts=per, seed=seed0 + i, months=months)
        for table in parts:
            frame = pl.read_parquet(d / f"{table}.parquet")
            for col in ("contact_id", "account_id"):
                if col in frame.columns:
                    frame = frame.with_columns((pl.lit(f"S{i}-") + pl.col(col)).alias(col))
            path = tmp / f"{table}-{i}.parquet"
            frame.write_parquet(path)
            parts[table].append(path)
        shutil.rmtree(d)
    final = BENCH / f".{name}.final"
    final.mkdir(parents=True, exist_ok=True)
    for table, paths in parts.items():
        pl.scan_parquet(paths).sink_parquet(final / f"{table}.parquet")
    shutil.rmtree(tmp)
    final.rename(out)
    return out


def count_rows(folder: Path, table: str) -> int:
    return int(pl.scan_parquet(folder / f"{table}.parquet").select(pl.len()).collect().item())


# ---------------------------------------------------------------- timing
def timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t


def run_cli(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """(wall seconds, peak RSS GB, stderr tail) of one `propensity` subprocess."""
    cmd = ["/usr/bin/time", "-v", CLI, *args]
    t = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    wall = time.perf_counter() - t
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    rss_kb = next(int(line.split()[-1]) for line in done.stderr.splitlines() if "Maximum resident set size" in line)
    return wall, rss_kb / 1024 / 1024, done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def reference_query(events: pl.DataFrame, event_types: tuple[str, ...], windows: tuple[int, ...], cutoff: datetime) -> pl.DataFrame:
    """A plain polars query: per contact, counts per event type and window, and days since each type."""
    day = 86_400_000_000
    now = int((cutoff - datetime(1970, 1, 1)).total_seconds() * 1_000_000)
    ts = pl.col("occurred_at").dt.epoch("us")
    exprs = []
    for e in event_types:
        is_e = pl.col("event_type") == e
        for w in windows:
            exprs.append((is_e & (ts > now - w * day)).sum().alias(f"n_{e}_{w}d"))
        exprs.append(((now - ts.filter(is_e).max()) / day).alias(f"days_since_{e}"))
    return events.lazy().filter(ts <= now).group_by("contact_id").agg(exprs).collect()


# ------------------------------------------------------------------ steps
# Each measured step runs in its own process under /usr/bin/time -v, so its peak RSS is its own.
def step_features(train_dir: str) -> dict[str, object]:
    from propensity._config import FeatureConfig, LabelConfig
    from propensity.features._builder import FeatureBuilder
    from propensity.features._titles import _parse_text
    from propensity.io._sources import read_export
    from propensity.training._labels import open_leads

    export = read_export(train_dir, require_outcomes=True)
    cutoff = export.events["occurred_at"].max()
    config = FeatureConfig()
    builder = FeatureBuilder(config).fit(export, cutoff)
    spec = builder.spec_
    pairs = open_leads(export.contacts, export.outcomes, [cutoff], LabelConfig()).select("contact_id", "cutoff")
    builder.transform(export, pairs.head(1000))  # warm up (loads the compiled kernels)
    reference_query(export.events.head(100_000), spec.event_types, tuple(config.windows_days), cutoff)
    same = FeatureBuilder.from_spec(_counts_and_recencies(spec))
    feat_s, ref_s, same_s = [], [], []
    for _ in range(3):  # median of 3, interleaved: this VM's speed drifts
        _parse_text.cache_clear()  # every timed build parses the job titles afresh, as a scoring run does
        feats, s = timed(builder.transform, export, pairs)
        feat_s.append(s)
        ref, s = timed(reference_query, export.events, spec.event_types, tuple(config.windows_days), cutoff)
        ref_s.append(s)
        _parse_text.cache_clear()
        feats_same, s = timed(same.transform, export, pairs)
        same_s.append(s)
    return {"events": export.events.height, "feat_s": float(np.median(feat_s)), "ref_s": float(np.median(ref_s)),
            "same_s": float(np.median(same_s)), "leads": feats.height,
            "features": len(spec.names), "same_features": len(same.spec_.names), "ref_columns": ref.width - 1}


def _counts_and_recencies(spec):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    keep = tuple(f for f in spec.features if f.kind == "count" or (f.kind == "recency" and f.event_type is not None))
    return replace(spec, features=keep)


def step_training_set(train_dir: str) -> dict[str, object]:
    from propensity.io._sources import read_export
    from propensity.training._training_set import build_training_set

    export = read_export(train_dir, require_outcomes=True)
    ts, ts_s = timed(build_training_set, export, BENCH_CONFIG())
    return {"ts_s": ts_s, "cutoffs": len(ts.plan.all), "rows": ts.frame.height, "events": export.events.height}


def step_fidelity(big_dir: str, uri: str, scores: str) -> dict[str, object]:
    from propensity._model import to_model_frame
    from propensity.features._builder import FeatureBuilder
    from propensity.io._sources import read_export
    from propensity.lifecycle._tracking import load_model, point_at
    from propensity.scoring._reasons import FieldIndex
    from propensity.scoring._treeshap import explainer_for

    point_at(uri)
    model = load_model("models:/bench-propensity@champion").model
    sample = pl.read_parquet(scores, columns=["contact_id"]).sample(10_000, seed=0)
    big = read_export(big_dir, created_at_required=False)
    as_of = big.events["occurred_at"].max()
    feats = FeatureBuilder.from_spec(model.spec).transform(big, sample.with_columns(pl.lit(as_of, dtype=pl.Datetime("us")).alias("cutoff")))
    frame = to_model_frame(model.spec, feats)
    exact, exact_s = timed(lambda: np.asarray(model.booster.predict(frame, pred_contrib=True)))
    fast, fast_s = timed(explainer_for(model.booster).contributions, frame)
    index = FieldIndex(model.spec)

    def top3(c: np.ndarray) -> np.ndarray:
        g = index.group(c)
        o = np.argsort(-np.abs(g), axis=1, kind="stable")[:, :3]
        return o * np.where(np.take_along_axis(g, o, axis=1) >= 0, 1, -1)

    return {"agree": float((top3(fast) == top3(exact)).all(axis=1).mean()), "rows": len(frame),
            "max_diff": float(np.abs(fast - exact).max()), "exact_rps": len(frame) / exact_s, "fast_rps": len(frame) / fast_s}


def BENCH_CONFIG():  # type: ignore[no-untyped-def]
    """12 monthly cutoffs, every one fitted by the served model; a 4-fold rolling-origin backtest."""
    from propensity._config import Config, SplitConfig

    return Config(split=SplitConfig(max_train_cutoffs=12, backtest_folds=4))


# the same settings as BENCH_CONFIG, for the CLI; the sampling is the default (automatic) one
TRAIN_TOML = "[split]\nmax_train_cutoffs = 12\nbacktest_folds = 4\n"
EVERY_ROW_TOML = TRAIN_TOML + "\n[sampling]\nnegative_rate = 1.0\n"


def train_cli(export: Path, name: str, toml: str, model_name: str) -> dict[str, object]:
    """`propensity train` in its own process under /usr/bin/time -v, into a fresh store bench/<name>/:
    wall time, peak RSS and the run's figures (read back from MLflow)."""
    store = BENCH / name
    shutil.rmtree(store, ignore_errors=True)
    store.mkdir(parents=True)
    (store / "train.toml").write_text(toml, encoding="utf-8")
    uri = f"sqlite:///{store / 'mlflow.db'}"
    args = ["-q", "train", str(export), "--config", str(store / "train.toml"), "--tracking-uri", uri, "--model-name", model_name]
    wall, rss, _ = run_cli(args)
    import mlflow

    run = mlflow.MlflowClient(uri).search_runs(mlflow.MlflowClient(uri).search_experiments()[0].experiment_id)[0]
    m = run.data.metrics
    cmd = f"/usr/bin/time -v propensity {' '.join(args)}".replace(str(ROOT) + "/", "")
    return {"wall": wall, "rss": rss, "uri": uri, "auc": m["valid_roc_auc"], "rate": m["sampling_negative_rate"],
            "fitted": int(m["rows_train_rows"]), "judged": int(m["rows_valid_rows"]), "trees": int(m["best_iteration"]), "cmd": cmd}


STEPS = {"features": step_features, "training-set": step_training_set, "fidelity": step_fidelity}


def run_step(name: str, *args: str) -> tuple[dict[str, object], float, float]:
    """(result, wall seconds, peak RSS GB) of one step in its own process."""
    cmd = ["/usr/bin/time", "-v", PYTHON, __file__, "--step", name, *args]
    t = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if done.returncode != 0:
        raise RuntimeError(f"step {name} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    rss_kb = next(int(line.split()[-1]) for line in done.stderr.splitlines() if "Maximum resident set size" in line)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result, wall, rss_kb / 1024 / 1024


# ------------------------------------------------------------------ main
def feature_rows(a: argparse.Namespace, train_dir: Path, n_ev_train: int, row) -> Path:  # type: ignore[no-untyped-def]
    """The score export, the one-cutoff feature build against the reference query, the training set."""
    tag = "" if a.scale == 1.0 else f"-x{a.scale:g}"
    big_dir = build_export(f"crm-1m{tag}", int(1_000_000 * a.scale), MONTHS_BIG, 200)
    n_ev_big, n_c_big = count_rows(big_dir, "events"), count_rows(big_dir, "contacts")
    row("exports", f"train: {count_rows(train_dir, 'contacts'):,} contacts / {n_ev_train:,} events; "
        f"score: {n_c_big:,} contacts / {n_ev_big:,} events")

    # --- features, one cutoff, and the reference query (same process, same data)
    f, _, rss = run_step("features", str(train_dir))
    row("feature build, one cutoff, the full feature set", f"{f['feat_s']:.2f} s for {n_ev_train:,} events = "
        f"{n_ev_train / f['feat_s'] / 1e6:.1f}M events/s ({f['leads']:,} leads x {f['features']} features); step peak RSS {rss:.2f} GB",
        ">= 10M events/s")
    row("reference polars query (counts per type and window + recencies)",
        f"{f['ref_s']:.2f} s = {n_ev_train / f['ref_s'] / 1e6:.1f}M events/s ({f['ref_columns']} columns); "
        f"full feature set / reference = {f['feat_s'] / f['ref_s']:.2f}x")
    row("feature build, the reference's counts and recencies only (equal work)",
        f"{f['same_s']:.2f} s = {n_ev_train / f['same_s'] / 1e6:.1f}M events/s ({f['same_features']} features); "
        f"ours / reference = {f['same_s'] / f['ref_s']:.2f}x", "<= 1.0x")

    # --- 12-cutoff training set
    t, _, rss = run_step("training-set", str(train_dir))
    row("12-cutoff training set", f"{t['ts_s']:.1f} s ({t['cutoffs']} cutoffs, {t['rows']:,} rows, {t['events']:,} events); "
        f"step peak RSS {rss:.2f} GB", "<= 15 s")
    return big_dir


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0, help="shrink every export (e.g. 0.1 for a quick check)")
    ap.add_argument("--skip-4x", action="store_true", help="skip the 4x exports (RSS growth)")
    ap.add_argument("--skip-all-rows", action="store_true", help="skip training on every row (the downsampling's ROC AUC check)")
    ap.add_argument("--train-only", action="store_true", help="only the exports and the `propensity train` rows")
    ap.add_argument("--step", help=argparse.SUPPRESS)
    ap.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.step:
        print(json.dumps(STEPS[a.step](*a.args)))
        return 0
    BENCH.mkdir(exist_ok=True)
    tag = "" if a.scale == 1.0 else f"-x{a.scale:g}"
    rows: list[tuple[str, str, str]] = []

    def row(what: str, figure: str, target: str = "") -> None:
        rows.append((what, figure, target))
        log(f"{what}: {figure} {('(target ' + target + ')') if target else ''}")

    train_dir = build_export(f"crm-20m{tag}", int(200_000 * a.scale), MONTHS_TRAIN, 100)
    n_ev_train = count_rows(train_dir, "events")
    if not a.train_only:
        big_dir = feature_rows(a, train_dir, n_ev_train, row)

    # --- `propensity train` end to end: downsampled (the default), every row, and 4x the data
    r = train_cli(train_dir, f"mlflow{tag}", TRAIN_TOML, "bench-propensity")
    row("`propensity train`, 20M events (training set, guard, search, backtest, refit, MLflow)",
        f"{r['wall']:.0f} s, peak RSS {r['rss']:.2f} GB; {r['fitted']:,} rows fitted (negative rate {r['rate']:.3f}), "
        f"{r['judged']:,} judged; {r['trees']} trees; backtest ROC AUC {r['auc']:.4f}", "<= 180 s, <= 4 GB")
    if not a.skip_all_rows:
        full = train_cli(train_dir, f"mlflow-every-row{tag}", EVERY_ROW_TOML, "bench-every-row")
        row("the same, `[sampling] negative_rate = 1` (every row fitted on)",
            f"{full['wall']:.0f} s, peak RSS {full['rss']:.2f} GB; {full['fitted']:,} rows fitted; {full['trees']} trees; "
            f"backtest ROC AUC {full['auc']:.4f}: downsampled - every row = {r['auc'] - full['auc']:+.4f}", "within 0.005")
    if not a.skip_4x:
        train4 = build_export(f"crm-80m{tag}", int(800_000 * a.scale), MONTHS_TRAIN, 500)
        r4 = train_cli(train4, f"mlflow-4x{tag}", TRAIN_TOML, "bench-4x")
        row("`propensity train`, 4x: " + f"{count_rows(train4, 'contacts'):,} contacts / {count_rows(train4, 'events'):,} events",
            f"{r4['wall']:.0f} s, peak RSS {r4['rss']:.2f} GB: {r4['rss'] / r['rss']:.2f}x the 1x RSS; {r4['fitted']:,} rows fitted "
            f"(negative rate {r4['rate']:.3f}), {r4['judged']:,} judged; backtest ROC AUC {r4['auc']:.4f}", "< 2x RSS, completes")
    commands = [r["cmd"]] + ([full["cmd"]] if not a.skip_all_rows else []) + ([r4["cmd"]] if not a.skip_4x else [])
    if a.train_only:
        return write_results(a, rows, commands)
    uri = str(r["uri"])

    # --- propensity score end to end, 1x
    env = {"MLFLOW_TRACKING_URI": uri}
    out = BENCH / f"scores{tag}.parquet"
    hist = ["--history", str(BENCH / f"mlflow{tag}" / "history.db")]
    wall1, rss1, line = run_cli(["-q", "score", str(big_dir), "--model", "models:/bench-propensity@champion", "--out", str(out), *hist], env)
    n_scored = pl.scan_parquet(out).select(pl.len()).collect().item()
    row("`propensity score`, 1x, reasons for every lead", f"{wall1:.1f} s, peak RSS {rss1:.2f} GB ({n_scored:,} leads scored, "
        f"{n_scored / wall1:,.0f} leads/s end to end)", "<= 120 s, <= 4 GB")

    # --- reasons vs exact TreeSHAP on 10,000 sampled leads
    fi, _, rss = run_step("fidelity", str(big_dir), uri, str(out))
    row("reasons: top-3 fields (and signs) = exact TreeSHAP", f"{fi['agree']:.2%} of {fi['rows']:,} sampled leads; max abs difference "
        f"{fi['max_diff']:.1e}; exact pred_contrib {fi['exact_rps']:,.0f} rows/s, ours {fi['fast_rps']:,.0f} rows/s", ">= 95%")

    # --- 4x the data: RSS growth
    if not a.skip_4x:
        big4 = build_export(f"crm-4m{tag}", int(4_000_000 * a.scale), MONTHS_BIG, 300)
        out4 = BENCH / f"scores-4x{tag}.parquet"
        wall4, rss4, _ = run_cli(["-q", "score", str(big4), "--model", "models:/bench-propensity@champion", "--out", str(out4), *hist], env)
        row("`propensity score`, 4x data", f"{wall4:.1f} s, peak RSS {rss4:.2f} GB ({count_rows(big4, 'contacts'):,} contacts, "
            f"{count_rows(big4, 'events'):,} events); RSS growth {rss4 / rss1:.2f}x", "< 2x")

    # --- start-up
    starts = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run([CLI, "--help"], capture_output=True, check=True)
        starts.append(time.perf_counter() - t0)
    row("`propensity --help`", f"{min(starts):.3f} s (best of 5)", "<= 0.5 s")

    return write_results(a, rows, commands)


def write_results(a: argparse.Namespace, rows: list[tuple[str, str, str]], commands: list[str]) -> int:
    tag = "" if a.scale == 1.0 else f"-x{a.scale:g}"
    load = os.getloadavg()
    lines = [
        f"# propensity benchmark ({datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} cores, load average {load[0]:.1f}; scale {a.scale:g})",
        "",
        "| what | measured | target |",
        "|---|---|---|",
        *[f"| {w} | {f} | {t} |" for w, f, t in rows],
        "",
        "Each step ran in its own process; peak RSS is that process's (`/usr/bin/time -v`). The machine may be "
        "shared: a load average above the core count slows every wall time. "
        "Reproduce: `make bench` (or `.venv/bin/python benchmarks/bench.py --scale 0.1` for a quick check; "
        "`--train-only` for the training rows alone).",
        "",
        "Training commands (from the repository root):",
        "",
        *[f"    {c}" for c in commands],
    ]
    text = "\n".join(lines) + "\n"
    (BENCH / f"results{tag}.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
