"""Where the browser tests keep their screenshots: ``test-artifacts/screenshots/`` (ignored by
git) on an ordinary run, so ``make test`` leaves the checkout clean; ``docs/screenshots/`` (the
pictures the README and docs show) when run with ``FUXIANG_UPDATE_SCREENSHOTS=1``."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("FUXIANG_UPDATE_SCREENSHOTS") == "1"
    else ROOT / "test-artifacts" / "screenshots"
)
