"""``manage.py odi_text``: which Oswestry answer texts are in use, and tools for a clinic
that holds a licence for the validated text (docs/patient-texts.md).

- ``odi_text``: print which text the questionnaires show now;
- ``odi_text FILE``: check a licensed-text JSON file (exit status 2 with every problem);
- ``odi_text --template``: print a JSON file in the expected format, filled with
  Backpath's own descriptions, to overwrite with the licensed statements.
"""

import json
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from intake import odi_text
from intake.patient_texts import current_odi_text


class Command(BaseCommand):
    help = "Show, check or template the Oswestry answer texts."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", nargs="?", help="a licensed-text JSON file to check")
        parser.add_argument(
            "--template", action="store_true", help="print a data file in the expected format"
        )

    def handle(self, *args: Any, file: str | None, template: bool, **options: Any) -> None:
        if template:
            document = {
                "name": "Oswestry Disability Index 2.1a — licence no. ...",
                "texts": {
                    language: {section: list(levels) for section, levels in sections.items()}
                    for language, sections in odi_text.PROJECT_TEXT.levels.items()
                },
            }
            self.stdout.write(json.dumps(document, ensure_ascii=False, indent=2))
            return
        if file:
            try:
                text = odi_text.load_file(file)
            except odi_text.OdiTextError as exc:
                raise CommandError("\n".join(exc.problems), returncode=2) from exc
            self.stdout.write(f"OK: {text.name} — set BACKPATH_ODI_TEXT_FILE={file} to use it.")
            return
        text = current_odi_text()
        if text.source == odi_text.PROJECT:
            self.stdout.write("In use: Backpath's own short descriptions (not the licensed text).")
        else:
            where = settings.BACKPATH_ODI_TEXT_FILE
            self.stdout.write(f"In use: {text.name} (licensed text from {where}).")
