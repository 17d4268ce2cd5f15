"""The layers of docs/architecture.md hold, and the checker would see a break."""

from pathlib import Path

from tools import check_layers


def test_imports_go_down_the_layers_and_nothing_imports_in_a_circle():
    assert check_layers.findings() == []


def write(root: Path, name: str, text: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_the_checker_reports_an_import_up_the_layers(tmp_path):
    write(tmp_path, "intake/__init__.py", "")
    write(tmp_path, "intake/services.py", "from referrals.services import propose\n")
    write(tmp_path, "referrals/__init__.py", "")
    write(tmp_path, "referrals/services.py", "def propose(): ...\n")
    findings = check_layers.findings(tmp_path)
    assert findings == [
        "intake/services.py:1: intake.services imports referrals.services (not a lower layer)"
    ]


def test_the_checker_lets_an_edge_call_the_pathway_but_not_a_core_module(tmp_path):
    write(tmp_path, "pathway/__init__.py", "")
    write(tmp_path, "pathway/services.py", "")
    write(tmp_path, "followups/__init__.py", "")
    write(tmp_path, "followups/views.py", "from pathway import services\n")
    write(tmp_path, "followups/models.py", "from pathway import services\n")
    findings = check_layers.findings(tmp_path)
    assert findings == [
        "followups/models.py:1: followups.models imports pathway.services (not a lower layer)"
    ]


def test_the_checker_reports_a_cycle_hidden_in_a_function(tmp_path):
    write(tmp_path, "bench/__init__.py", "")
    write(tmp_path, "bench/load.py", "from bench.background import reset\n")
    write(tmp_path, "bench/background.py", "def run():\n    from bench.load import TABLES\n")
    assert check_layers.findings(tmp_path) == ["import cycle: bench.background <-> bench.load"]
