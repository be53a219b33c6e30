"""`propensity --help` stays fast: importing the CLI loads no heavy library."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("mlflow", "lightgbm", "pyspark", "sklearn", "matplotlib", "pandas", "polars", "numba")


def test_importing_the_cli_imports_no_heavy_library() -> None:
    code = (
        "import sys, propensity.cli\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ""


def test_help_imports_no_heavy_library() -> None:
    code = (
        "import sys\nfrom propensity.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "usage: propensity" in done.stdout
    assert done.stderr.strip() == ""


def test_version_names_the_package_version() -> None:
    from propensity._version import __version__

    code = "from propensity.cli import main\nmain(['--version'])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert done.stdout.strip() == f"propensity {__version__}"
