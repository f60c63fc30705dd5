"""axe-core in the browser tests: the npm package's script, evaluated in the page (not
added as a script tag: a Content-Security-Policy of `script-src 'self'` would refuse
that), then `axe.run()` on the whole document.

`.ci/run` installs it (`npm install --prefix test-tools axe-core@4`); where it is
missing, the tests that need it skip and say how to install it.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Page

REPO = Path(__file__).resolve().parents[2]
AXE_SCRIPT = REPO / "test-tools" / "node_modules" / "axe-core" / "axe.min.js"
NO_AXE = (
    f"{AXE_SCRIPT.relative_to(REPO)} is missing: run "
    "`npm install --prefix test-tools axe-core@4` (.ci/run does)"
)
BLOCKING = ("serious", "critical")
REPORT = REPO / "test-artifacts" / "axe-report.json"


class Axe:
    """Runs axe on pages and keeps every finding, by impact, for the report."""

    def __init__(self, script: str) -> None:
        self.script = script
        self.found: Counter[str] = Counter()
        self.rules: Counter[str] = Counter()
        self.pages = 0

    def violations(self, page: Page) -> list[dict[str, Any]]:
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(self.script)
        result = page.evaluate(
            "() => axe.run(document, {resultTypes: ['violations']})"
            ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})))"
        )
        self.pages += 1
        for violation in result:
            self.found[str(violation["impact"])] += 1
            self.rules[f"{violation['impact']}: {violation['id']} ({page.url})"] += 1
        return list(result)

    def check(self, page: Page) -> None:
        """No serious or critical violation on the page as it is now."""
        blocking = [v for v in self.violations(page) if v["impact"] in BLOCKING]
        assert not blocking, f"{page.url}: " + json.dumps(blocking, indent=1)

    def write_report(self) -> None:
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        report = {"pages": self.pages, "violations": self.found, "by_rule": self.rules}
        REPORT.write_text(json.dumps(report, indent=1))
