"""What the browser tests and their fixtures share: where Chromium is, and the handle
of the live server."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from spacegate.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
NO_CHROMIUM = f"{CHROMIUM} does not exist: the browser tests need Debian's `chromium` package"


@dataclass(frozen=True)
class LiveServer:
    """`spacegate serve` running in a subprocess: its base URL, settings and log file."""

    url: str
    settings: Settings
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")
