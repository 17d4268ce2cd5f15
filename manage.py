#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # A developer's shell has no SECRET_KEY: management commands there run in
    # development mode. Production always sets SECRET_KEY (the web and worker refuse to
    # start without it), so this default never applies there; DEBUG=0 set explicitly wins.
    if "SECRET_KEY" not in os.environ:
        os.environ.setdefault("DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
