"""pytest plugin loaded with ``-p config.testenv`` before pytest-django reads settings.

It marks the process as a test run so settings choose test defaults (in-memory
broker, plain static storage, no HTTPS redirect, fast password hashing).
"""

import os

os.environ.setdefault("BACKPATH_TESTING", "1")
