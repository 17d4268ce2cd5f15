"""axe-core in the browser tests: WCAG 2.1 A and AA, on the page as the person sees it.

axe-core comes from the npm registry (``npm pack axe-core``) and is vendored next to this
file with its licence (``vendor/axe-core``), never loaded from a CDN. It is injected
through the DevTools protocol, which the pages' Content-Security-Policy does not block,
so the pages run exactly as in production.
"""

from functools import cache
from pathlib import Path
from typing import Any

AXE_JS = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@cache
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def violations(page: Any) -> list[str]:
    """Every WCAG 2.1 A/AA violation on ``page``, one line per rule and element."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    result = page.evaluate(
        """tags => axe.run(document, {
             runOnly: {type: 'tag', values: tags},
             resultTypes: ['violations'],
           })""",
        WCAG_21_AA,
    )
    found = []
    for violation in result["violations"]:
        for node in violation["nodes"]:
            summary = " ".join(node.get("failureSummary", "").split())
            found.append(
                f"{page.url} · {violation['id']} ({violation['impact']}) · "
                f"{' '.join(node['target'])} · {summary}"
            )
    return found
