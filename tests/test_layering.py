"""The layering the design relies on, checked like behaviour: `indexer` never imports `webapp`, only
the `indexer.engine` package imports whoosh, the analysis imports no engine, data flows catalog -> fetch ->
extract -> build -> search -> webapp, and no package has import cycles between its modules.

The contracts live in pyproject.toml ([tool.importlinter]); this runs the same `lint-imports` a developer
runs, so a forbidden import fails the suite with import-linter's explanation of the offending chain.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from support import PROJECT



def test_the_import_contracts_are_kept():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    # --no-cache: a test run leaves nothing behind in the work tree
    result = subprocess.run([str(lint_imports), "--no-cache", "--config", "pyproject.toml"], cwd=PROJECT,
                            capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
