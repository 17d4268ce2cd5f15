#!/usr/bin/env python
import os
import sys


def main() -> None:
    # No development default here: DEBUG is on only when the environment says so
    # (`make run`, an `.env`, or `DEBUG=1 .venv/bin/python manage.py ...`), so a
    # production shell without SECRET_KEY fails loudly instead of running in debug mode.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:  # Django would hide this behind "Models aren't loaded yet" for most commands
        settings.INSTALLED_APPS  # noqa: B018 - loads the settings
    except ImproperlyConfigured as error:
        sys.exit(f"manage.py: {error} (for development: DEBUG=1, as `make run` sets).")

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
