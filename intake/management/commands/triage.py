"""``manage.py triage FILE``: triage intake answers given as JSON (``-`` reads stdin).

FILE holds one answers object or a list of them. Output on stdout:

- valid input: ``{"disposition", "reasons", "rule_version"}`` (a list of those for a
  list), exit status 0;
- invalid input: ``{"errors": {field: message}}``, exit status 2. For a list input the
  field names carry the item's index, e.g. ``{"errors": {"0.age": "...", "2.foo":
  "unknown field"}}``; nothing is triaged unless every item is valid. Problems with the
  input as a whole (unreadable file, invalid JSON, not an object or a list) use the key
  ``__all__``.
"""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from dataclasses import asdict
from typing import Any, NoReturn, TextIO

from django.core.management.base import BaseCommand

from intake.triage import NON_FIELD_ERRORS, TriageInputError, TriageResult, triage

INVALID_INPUT_EXIT_STATUS = 2


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise ValueError(f"duplicate key(s): {', '.join(duplicates)}")
    return dict(pairs)


class Command(BaseCommand):
    help = "Triage intake answers from a JSON file (or - for stdin) and print the result as JSON."
    # Pure computation: no models or database involved, so no system checks needed.
    requires_system_checks: list[str] = []
    stealth_options = ("stdin",)

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", metavar="FILE", help="JSON file with the answers, - for stdin")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            data = self._read_json(options["file"], options.get("stdin") or sys.stdin)
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError included
            self._fail({NON_FIELD_ERRORS: str(exc)})
        if isinstance(data, list):
            results: list[TriageResult] = []
            errors: dict[str, str] = {}
            for index, answers in enumerate(data):
                try:
                    results.append(triage(answers))
                except TriageInputError as exc:
                    errors.update({f"{index}.{field}": msg for field, msg in exc.errors.items()})
            if errors:
                self._fail(errors)
            self._print([asdict(result) for result in results])
        elif isinstance(data, dict):
            try:
                result = triage(data)
            except TriageInputError as exc:
                self._fail(exc.errors)
            self._print(asdict(result))
        else:
            self._fail({NON_FIELD_ERRORS: "expected a JSON object or a list of objects"})

    def _read_json(self, path: str, stdin: TextIO) -> Any:
        if path == "-":
            text = stdin.read()
        else:
            try:
                with open(path, encoding="utf-8") as file:
                    text = file.read()
            except OSError as exc:
                raise ValueError(f"cannot read {path}: {exc.strerror}") from None
        try:
            return json.loads(text, object_pairs_hook=_reject_duplicate_keys)
        except ValueError as exc:
            raise ValueError(f"invalid JSON: {exc}") from None

    def _print(self, payload: object) -> None:
        self.stdout.write(json.dumps(payload, ensure_ascii=False))

    def _fail(self, errors: dict[str, str]) -> NoReturn:
        self._print({"errors": errors})
        raise SystemExit(INVALID_INPUT_EXIT_STATUS)
