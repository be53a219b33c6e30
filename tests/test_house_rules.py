"""The package's layout rules: subpackages with one concern each, no import cycle, no reaching into
another module's private names, a small top level. Every import counts, function-level ones included."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "propensity"


def _modules(root: Path) -> dict[str, Path]:
    mods = {}
    for f in root.rglob("*.py"):
        rel = f.relative_to(root.parent).with_suffix("")
        mods[".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)] = f
    return mods


def _graph(root: Path) -> tuple[dict[str, set[str]], list[str]]:
    """Edges between the package's modules and every `from X import _private` of a name (not a module)."""
    mods = _modules(root)
    pkg = root.name
    edges: dict[str, set[str]] = {m: set() for m in mods}
    private: list[str] = []
    for m, f in mods.items():
        is_init = f.name == "__init__.py"
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                edges[m].update(a.name for a in node.names if a.name in mods and a.name != m)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    parts = m.split(".")
                    base = parts[: len(parts) - node.level + (1 if is_init else 0)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if not target.startswith(pkg):
                    continue
                for a in node.names:
                    sub = f"{target}.{a.name}"
                    if sub in mods:
                        if sub != m:
                            edges[m].add(sub)
                        continue
                    if target in mods and target != m:
                        edges[m].add(target)
                    if a.name.startswith("_") and not a.name.startswith("__"):
                        private.append(f"{m} imports {target}.{a.name}")
    return edges, private


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in edges:
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle_between_modules() -> None:
    edges, _ = _graph(PACKAGE)
    assert _cycles(edges) == []


def test_no_module_imports_another_modules_private_name() -> None:
    _, private = _graph(PACKAGE)
    assert private == []


def test_top_level_is_small_and_concerns_live_in_subpackages() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    subpackages = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
    assert len(top) <= 8, top
    assert {"io", "features", "training", "scoring", "reports", "lifecycle", "flat"} <= set(subpackages)


@pytest.mark.parametrize("sub", sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()))
def test_every_subpackage_says_what_it_is_for(sub: str) -> None:
    doc = ast.get_docstring(ast.parse((PACKAGE / sub / "__init__.py").read_text(encoding="utf-8")))
    assert doc and len(doc.split()) >= 8, f"propensity/{sub}/__init__.py needs a paragraph saying what lives there"


def test_the_guard_finds_a_cycle_and_a_private_import(tmp_path: Path) -> None:
    """The rules above can fail: a two-module cycle and a private-name import are both reported."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from pkg.b import _hidden\n")
    (pkg / "b.py").write_text("from pkg import a\n_hidden = 1\n")
    edges, private = _graph(pkg)
    assert _cycles(edges) == [["pkg.a", "pkg.b"]]
    assert private == ["pkg.a imports pkg.b._hidden"]
