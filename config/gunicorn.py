"""gunicorn settings for every place Backpath starts it (Procfile, docker-compose.yml,
the fault tests): ``gunicorn -c config/gunicorn.py config.wsgi``.

gunicorn 27 opens a control socket at one fixed path per user by default, so a second
gunicorn on the same machine (a test, a benchmark, a second instance) takes it over from
the first. Backpath does not use ``gunicornc``, so there is none.
"""

import os

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('BACKPATH_PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
control_socket_disable = True
# A request that waits this long is killed and logged; nothing in a request should
# wait on Redis, SMTP or a lock for more than a few seconds.
timeout = 30
graceful_timeout = 20
