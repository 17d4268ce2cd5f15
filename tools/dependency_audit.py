"""`make lint`'s dependency audit: pip-audit over the pinned requirement files.

Fails on any known vulnerability (unless its id is listed, with a reason, in
``ACCEPTED``). pip-audit needs an advisory service: PyPI's JSON API, or OSV. Where
neither answers (a machine that reaches only a package mirror), it says so plainly
and passes, because an unreachable service is no finding; ``BACKPATH_PIP_AUDIT_STRICT=1``
makes that a failure too (see docs/security.md).

Run: ``python -m tools.dependency_audit [requirement files]``.
"""

import json
import os
import subprocess
import sys
from collections.abc import Sequence

REQUIREMENTS = ("requirements.txt", "requirements-dev.txt")
SERVICES = ("pypi", "osv")
# Vulnerability id -> why it does not apply to Backpath (reviewed, dated).
ACCEPTED: dict[str, str] = {}
TIMEOUT_SECONDS = 300


def run_pip_audit(service: str, files: Sequence[str]) -> tuple[dict | None, str]:
    command = [sys.executable, "-m", "pip_audit", "--vulnerability-service", service]
    for name in files:
        command += ["-r", name]
    command += ["--disable-pip", "--no-deps", "--progress-spinner", "off", "--format", "json"]
    try:
        result = subprocess.run(  # noqa: S603 - fixed command, no shell
            command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        return None, f"timed out after {TIMEOUT_SECONDS} s"
    try:
        return json.loads(result.stdout), result.stderr
    except json.JSONDecodeError:
        return None, result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""


def _unreachable(report: dict | None) -> bool:
    if report is None:
        return True
    skipped = [d for d in report["dependencies"] if d.get("skip_reason")]
    return bool(report["dependencies"]) and len(skipped) == len(report["dependencies"])


def main(argv: Sequence[str]) -> int:
    files = list(argv) or list(REQUIREMENTS)
    report, problem = None, ""
    for service in SERVICES:
        report, problem = run_pip_audit(service, files)
        if not _unreachable(report):
            break
    if report is None or _unreachable(report):
        reason = problem or (report and report["dependencies"][0].get("skip_reason")) or ""
        print(
            "pip-audit: NOT AUDITED. No vulnerability service (PyPI JSON API, OSV) could be "
            f"reached from this machine ({reason.strip()}). See docs/security.md."
        )
        return 1 if os.environ.get("BACKPATH_PIP_AUDIT_STRICT") == "1" else 0
    found = [
        (dep["name"], dep["version"], vuln["id"], vuln.get("fix_versions", []))
        for dep in report["dependencies"]
        for vuln in dep.get("vulns", [])
        if vuln["id"] not in ACCEPTED
    ]
    skipped = [dep["name"] for dep in report["dependencies"] if dep.get("skip_reason")]
    for name, version, vuln_id, fixes in found:
        print(f"pip-audit: {name} {version}: {vuln_id} (fixed in {', '.join(fixes) or '?'})")
    if skipped:
        print(f"pip-audit: not audited (unknown to the service): {', '.join(skipped)}")
    audited = len(report["dependencies"]) - len(skipped)
    print(f"pip-audit: {audited} pinned packages audited, {len(found)} known vulnerabilities")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
