"""House rules that keep the library usable outside Prefect (architecture.md)."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import importlib, pkgutil, sys
import alvh
for module in pkgutil.walk_packages(alvh.__path__, "alvh."):
    importlib.import_module(module.name)
leaked = sorted(m for m in sys.modules if m == "prefect" or m.startswith("prefect."))
print("LEAKED", leaked[:5])
"""


def test_no_module_of_alvh_imports_prefect():
    done = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "LEAKED []" in done.stdout, done.stdout
