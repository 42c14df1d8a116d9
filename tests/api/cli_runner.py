"""Running ``dealproof`` as a child process, the way a user, script or CI job does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def dealproof(*args: str | Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run ``dealproof ARGS`` with its output piped (no forced colours)."""
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "CLICOLOR_FORCE")}
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
