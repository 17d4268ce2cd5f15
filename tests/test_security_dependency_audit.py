"""The dependency audit of `make lint`: fails on a vulnerability, says when it could not look."""

import pytest

from tools import dependency_audit


def _report(*deps: dict) -> dict:
    return {"dependencies": list(deps), "fixes": []}


CLEAN = _report({"name": "django", "version": "5.2.19", "vulns": []})
VULNERABLE = _report(
    {
        "name": "django",
        "version": "5.2.1",
        "vulns": [{"id": "PYSEC-2099-1", "fix_versions": ["5.2.2"], "description": ""}],
    }
)
UNREACHABLE = _report(
    {"name": "django", "skip_reason": "Dependency not found on PyPI and could not be audited"}
)


@pytest.fixture
def service(monkeypatch):  # type: ignore[no-untyped-def]
    answers: dict[str, tuple] = {}
    monkeypatch.setattr(
        dependency_audit, "run_pip_audit", lambda name, files: answers.get(name, (None, "down"))
    )
    return answers


def test_a_clean_audit_passes(service, capsys):
    service["pypi"] = (CLEAN, "")
    assert dependency_audit.main([]) == 0
    assert "1 pinned packages audited, 0 known vulnerabilities" in capsys.readouterr().out


def test_a_known_vulnerability_fails_the_lint(service, capsys):
    service["pypi"] = (VULNERABLE, "")
    assert dependency_audit.main([]) == 1
    assert "django 5.2.1: PYSEC-2099-1 (fixed in 5.2.2)" in capsys.readouterr().out


def test_an_accepted_vulnerability_is_documented_not_fatal(service, monkeypatch):
    service["pypi"] = (VULNERABLE, "")
    monkeypatch.setitem(dependency_audit.ACCEPTED, "PYSEC-2099-1", "not reachable from Backpath")
    assert dependency_audit.main([]) == 0


def test_it_falls_back_to_osv_when_pypi_cannot_answer(service):
    service["pypi"] = (UNREACHABLE, "")
    service["osv"] = (VULNERABLE, "")
    assert dependency_audit.main([]) == 1


def test_no_reachable_service_is_reported_plainly_and_passes(service, capsys, monkeypatch):
    monkeypatch.delenv("BACKPATH_PIP_AUDIT_STRICT", raising=False)
    service["pypi"] = (UNREACHABLE, "")
    assert dependency_audit.main([]) == 0
    assert "NOT AUDITED" in capsys.readouterr().out


def test_strict_mode_fails_when_nothing_could_be_audited(service, monkeypatch):
    monkeypatch.setenv("BACKPATH_PIP_AUDIT_STRICT", "1")
    assert dependency_audit.main([]) == 1
