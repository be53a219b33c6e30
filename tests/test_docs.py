"""The documentation says what the code does: every command option is in the command reference
(docs/cli.md) with its default and choices, every configuration key is in the configuration reference
(docs/configuration.md) with its default, no page names an option or a key that does not exist, and
every page and link resolves. Needs no mkdocs (`make docs` builds the site itself)."""

from __future__ import annotations

import argparse
import re
import tomllib
from dataclasses import field, fields, make_dataclass
from pathlib import Path
from typing import Any

import pytest

from propensity._config import _SECTIONS, _TOP, Config, LabelConfig
from propensity.cli._main import build_parser

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CLI_PAGE = DOCS / "cli.md"
CONFIG_PAGE = DOCS / "configuration.md"

# options of other programs that the docs show (mlflow, mkdocs, the benchmarks, the job wrapper, pip)
OTHER_PROGRAMS = {
    "--backend-store-uri", "--app-name", "--strict", "--site-dir", "--scenarios", "--seeds", "--scale", "--train-only",
    "--tracking-uri", "--model-name", "--config", "--features", "--log", "--raw-exit", "--quiet",
}
JOB_WRAPPER_OPTIONS = {"--tracking-uri", "--model-name", "--config", "--features", "--log", "--raw-exit"}


# ------------------------------------------------------------------ reading the pages
def _sections(text: str, prefix: str) -> dict[str, str]:
    """'## <prefix>name' heading -> the text under it (up to the next '## ')."""
    parts = re.split(r"^## (.+)$", text, flags=re.M)
    return {head.strip()[len(prefix):].strip(): body for head, body in zip(parts[1::2], parts[2::2]) if head.startswith(prefix)}


def _rows(body: str) -> list[list[str]]:
    """The cells of each table row under a heading (header and rule lines left out)."""
    rows = []
    for line in body.splitlines():
        if line.startswith("|") and not re.match(r"^\|[-| ]+\|$", line):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            if cells and cells[0] not in ("option", "key"):
                rows.append(cells)
    return rows


# ------------------------------------------------------------------ the command reference
def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {"": parser, **sub.choices}


def _documented_name(action: argparse.Action) -> str:
    return (action.metavar or action.dest).upper()


def cli_problems(parser: argparse.ArgumentParser, page: str) -> list[str]:
    """What docs/cli.md gets wrong about `parser`: an option, argument, default or choice missing or
    invented, a command missing or invented."""
    problems = []
    sections = _sections(page, "propensity")
    commands = _subcommands(parser)
    problems += [f"command 'propensity {c}' is not documented" for c in sorted(set(commands) - set(sections))]
    problems += [f"documented command 'propensity {c}' does not exist" for c in sorted(set(sections) - set(commands))]
    for name, sp in commands.items():
        if name not in sections:
            continue
        where = f"propensity {name}".strip()
        rows = _rows(sections[name])
        by_name: dict[str, list[str]] = {}
        for row in rows:
            for token in re.findall(r"`(-{1,2}[A-Za-z][\w-]*|[A-Z][A-Z_]*)[ `]", row[0]):
                by_name[token] = row
        actions = [a for a in sp._actions if not isinstance(a, (argparse._HelpAction, argparse._SubParsersAction))]
        real = {o for a in actions for o in a.option_strings} | {_documented_name(a) for a in actions if not a.option_strings}
        problems += [f"{where}: {o} is not documented" for o in sorted(real - set(by_name))]
        problems += [f"{where}: documented {o} does not exist" for o in sorted(set(by_name) - real)]
        for a in actions:
            row = by_name.get(a.option_strings[0] if a.option_strings else _documented_name(a))
            if row is None:
                continue
            shown = row[1] if len(row) > 2 else ""
            d = a.default
            expected = "" if d is None or d is False or d is argparse.SUPPRESS else f"`{d}`"
            if shown != expected:
                problems.append(f"{where}: {row[0]} default is documented as {shown or '(none)'!r}, the code says {expected or '(none)'!r}")
            for choice in a.choices or ():
                if not re.search(rf"(?<![\w-]){re.escape(str(choice))}(?![\w-])", " ".join(row)):
                    problems.append(f"{where}: {row[0]} choice {choice!r} is not documented")
    return problems


def test_the_command_reference_documents_every_option_with_its_default_and_choices() -> None:
    assert cli_problems(build_parser(), CLI_PAGE.read_text(encoding="utf-8")) == []


def test_an_option_added_without_documentation_fails_the_check() -> None:
    parser = build_parser()
    _subcommands(parser)["retrain"].add_argument("--dry-run", action="store_true", help="a new option")
    _subcommands(parser)["score"].add_argument("--limit", type=int, default=10, help="another")
    page = CLI_PAGE.read_text(encoding="utf-8")
    assert cli_problems(parser, page) == ["propensity score: --limit is not documented", "propensity retrain: --dry-run is not documented"]
    invented = page.replace("| `--no-champion` |", "| `--no-champion`, `--no-champions` |", 1)
    assert cli_problems(build_parser(), invented) == ["propensity train: documented --no-champions does not exist"]
    wrong_default = page.replace("| `--chunk-size CHUNK_SIZE` | `100000` |", "| `--chunk-size CHUNK_SIZE` | `50000` |", 1)
    assert cli_problems(build_parser(), wrong_default) == [
        "propensity train: `--chunk-size CHUNK_SIZE` default is documented as '`50000`', the code says '`100000`'"
    ]


# ------------------------------------------------------------------ the configuration reference
def _default(value: Any) -> Any:
    """A config default as TOML reads it back: tuples are lists."""
    if isinstance(value, tuple):
        return [_default(v) for v in value]
    if isinstance(value, dict):
        return {k: _default(v) for k, v in value.items()}
    return value


def _documented_default(cell: str, body: str, section: str, key: str) -> Any:
    if cell == "(unset)":
        return None
    if cell == "(empty)":
        return {}
    if re.fullmatch(r"\(\d+ entries, see below\)", cell):
        block = re.search(rf"Default `\[{re.escape(section)}\.{re.escape(key)}\]`:\s*```toml\n(.*?)```", body, re.S)
        return tomllib.loads(block.group(1)) if block else "(no block)"
    code = re.fullmatch(r"`(.*)`", cell)
    return tomllib.loads(f"v = {code.group(1)}")["v"] if code else cell


def config_problems(sections: dict[str, type], page: str) -> list[str]:
    """What docs/configuration.md gets wrong about the config schema: a section or key missing or
    invented, a default that differs from the code's."""
    problems = []
    documented = {("" if name == "Top level" else name.strip("[]")): body for name, body in _sections(page, "").items()}
    schema: dict[str, tuple[type, list[str]]] = {"": (Config, list(_TOP))}
    schema.update({name: (cls, [f.name for f in fields(cls)]) for name, cls in sections.items()})
    problems += [f"section [{s}] is not documented" for s in sorted(set(schema) - set(documented))]
    problems += [f"documented section [{s}] does not exist" for s in sorted(set(documented) - set(schema) - {""})]
    for section, (cls, keys) in schema.items():
        body = documented.get(section)
        if body is None:
            continue
        rows = {re.fullmatch(r"`([\w]+)`", r[0]).group(1): r for r in _rows(body) if re.fullmatch(r"`([\w]+)`", r[0])}
        where = f"[{section}]" if section else "top level"
        problems += [f"{where} {k} is not documented" for k in keys if k not in rows]
        problems += [f"{where}: documented key {k} does not exist" for k in rows if k not in keys]
        defaults = cls()
        for key in keys:
            if key not in rows:
                continue
            want = _default(getattr(defaults, key))
            got = _documented_default(rows[key][1], body, section, key)
            if got != want:
                problems.append(f"{where} {key}: documented default {got!r}, the code's is {want!r}")
    return problems


def test_the_configuration_reference_documents_every_key_with_its_default() -> None:
    assert config_problems(_SECTIONS, CONFIG_PAGE.read_text(encoding="utf-8")) == []


def test_a_key_added_without_documentation_fails_the_check() -> None:
    grown = make_dataclass("LabelConfig", [(f.name, f.type, field(default=getattr(LabelConfig(), f.name))) for f in fields(LabelConfig)]
                           + [("lookback_days", int, field(default=30))], frozen=True)
    page = CONFIG_PAGE.read_text(encoding="utf-8")
    assert config_problems({**_SECTIONS, "label": grown}, page) == ["[label] lookback_days is not documented"]
    assert config_problems({**_SECTIONS, "budget": grown}, page) == ["section [budget] is not documented"]
    wrong = page.replace("| `horizon_days` | `90` |", "| `horizon_days` | `60` |").replace("| `seed` | `0` |", "| `seeds` | `0` |")
    assert config_problems(_SECTIONS, wrong) == [
        "[label] horizon_days: documented default 60, the code's is 90",
        "[model] seed is not documented",
        "[model]: documented key seeds does not exist",
    ]


# ------------------------------------------------------------------ every page
def _pages() -> list[Path]:
    return sorted(DOCS.glob("*.md")) + [ROOT / "README.md", ROOT / "CONTRACT.md", ROOT / "training" / "default.toml",
                                        ROOT / "features" / "default.toml"]


def test_no_page_names_an_option_that_does_not_exist() -> None:
    """`--keep-feature` in training/default.toml was such a claim: an option of no command."""
    real = {o for sp in _subcommands(build_parser()).values() for a in sp._actions for o in a.option_strings}
    wrapper = set(re.findall(r"^\s+(--[a-z-]+)(?:\|[-a-z|]+)?\)", (ROOT / "training" / "retrain.sh").read_text(), re.M))
    assert JOB_WRAPPER_OPTIONS <= wrapper | real  # the wrapper's options named in the docs exist
    unknown = {}
    for page in _pages():
        text = re.sub(r"https?://\S+", "", page.read_text(encoding="utf-8"))
        for option in set(re.findall(r"(?<![\w/-])(--[a-z][a-z-]*[a-z])", text)):
            if option not in real and option not in OTHER_PROGRAMS:
                unknown.setdefault(page.relative_to(ROOT).as_posix(), []).append(option)
    assert unknown == {}


def test_every_docs_page_is_in_the_site_navigation_and_every_nav_entry_exists() -> None:
    nav = set(re.findall(r":\s+([\w-]+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(), re.M))
    assert nav == {p.name for p in DOCS.glob("*.md")}


@pytest.mark.parametrize("page", [ROOT / "README.md", *sorted(DOCS.glob("*.md"))], ids=lambda p: p.name)
def test_every_relative_link_resolves_to_a_file(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    missing = [t for t in re.findall(r"\]\(([^)\s]+)\)", text)
               if not t.startswith(("http://", "https://", "#", "mailto:")) and not (page.parent / t.split("#")[0]).exists()]
    assert missing == []


def test_the_contract_page_includes_the_contract_file() -> None:
    assert '--8<-- "CONTRACT.md"' in (DOCS / "contract.md").read_text(encoding="utf-8")
    assert (ROOT / "CONTRACT.md").is_file()


def test_the_readme_and_the_guide_show_the_same_python_example() -> None:
    def example(path: Path) -> str:
        return re.search(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), re.S).group(1)

    assert example(ROOT / "README.md") == example(DOCS / "getting-started.md")
    assert "import propensity" in example(ROOT / "README.md")
