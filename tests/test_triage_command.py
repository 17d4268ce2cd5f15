import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

PROJECT_DIR = Path(__file__).resolve().parent.parent
ANSWERS = {"age": 60, "duration_days": 20, "pain_now": 4}
RESULT = {"disposition": "GP_SOON", "reasons": ["S-AGE55"], "rule_version": "2027.1"}


def run_triage(path, stdin=""):
    """Run the command; return (exit status, parsed JSON output)."""
    out = io.StringIO()
    try:
        call_command("triage", str(path), stdout=out, stdin=io.StringIO(stdin))
        status = 0
    except SystemExit as exc:
        status = exc.code
    return status, json.loads(out.getvalue())


@pytest.fixture
def answers_file(tmp_path):
    def write(content):
        path = tmp_path / "answers.json"
        path.write_text(content if isinstance(content, str) else json.dumps(content))
        return path

    return write


def test_it_triages_one_answers_object(answers_file):
    assert run_triage(answers_file(ANSWERS)) == (0, RESULT)


def test_it_triages_a_list_of_answers_objects(answers_file):
    child = ANSWERS | {"age": 12}
    expected = {"disposition": "GP_URGENT", "reasons": ["U-CHILD"], "rule_version": "2027.1"}
    assert run_triage(answers_file([ANSWERS, child])) == (0, [RESULT, expected])


def test_it_triages_an_empty_list_to_an_empty_list(answers_file):
    assert run_triage(answers_file([])) == (0, [])


def test_it_reads_stdin_for_a_dash():
    assert run_triage("-", stdin=json.dumps(ANSWERS)) == (0, RESULT)


def test_it_exits_2_with_the_errors_of_an_invalid_object(answers_file):
    status, output = run_triage(answers_file(ANSWERS | {"fever": 1, "colour": "red"}))
    assert (status, output) == (
        2,
        {"errors": {"fever": "must be true or false", "colour": "unknown field"}},
    )


def test_it_prefixes_list_errors_with_the_item_index(answers_file):
    status, output = run_triage(answers_file([ANSWERS, ANSWERS | {"age": -1}, "x"]))
    assert (status, sorted(output["errors"])) == (2, ["1.age", "2.__all__"])


def test_it_prints_no_results_when_one_list_item_is_invalid(answers_file):
    _, output = run_triage(answers_file([ANSWERS, {}]))
    assert set(output) == {"errors"}


def test_it_exits_2_on_invalid_json(answers_file):
    status, output = run_triage(answers_file('{"age": 60,'))
    assert (status, list(output["errors"])) == (2, ["__all__"])


def test_it_rejects_duplicate_keys(answers_file):
    status, output = run_triage(answers_file('{"age": 60, "age": 12}'))
    assert (status, output["errors"]["__all__"]) == (2, "invalid JSON: duplicate key(s): age")


def test_it_rejects_json_that_is_neither_an_object_nor_a_list(answers_file):
    assert run_triage(answers_file("42")) == (
        2,
        {"errors": {"__all__": "expected a JSON object or a list of objects"}},
    )


def test_it_exits_2_when_the_file_cannot_be_read(tmp_path):
    status, output = run_triage(tmp_path / "missing.json")
    assert (status, output["errors"]["__all__"].startswith("cannot read")) == (2, True)


def manage_py_triage(stdin):
    return subprocess.run(
        [sys.executable, "manage.py", "triage", "-"],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        env=os.environ | {"BACKPATH_TESTING": "1"},
        timeout=60,
        check=False,
    )


def test_manage_py_triage_prints_the_result_and_exits_0():
    completed = manage_py_triage(json.dumps(ANSWERS))
    assert (completed.returncode, json.loads(completed.stdout)) == (0, RESULT)


def test_manage_py_triage_prints_the_errors_and_exits_2():
    completed = manage_py_triage(json.dumps({"age": "sixty"}))
    assert (completed.returncode, sorted(json.loads(completed.stdout)["errors"])) == (
        2,
        ["age", "duration_days", "pain_now"],
    )


def test_it_names_painkiller_days_beyond_the_duration_and_exits_2():
    answers = {**ANSWERS, "duration_days": 3, "painkiller_days": 4}
    assert run_triage("-", stdin=json.dumps(answers)) == (
        2,
        {"errors": {"painkiller_days": "must not be more than duration_days"}},
    )
