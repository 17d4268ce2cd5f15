"""``make bench``: Backpath's figures at a million patients (issue 9, part 2).

Not a test suite: ``python -m bench [--small] [--reload]`` loads a large data set into its
own PostgreSQL database with COPY, then measures pages, the follow-up sweep, e-mail
delivery and intake against the real PostgreSQL, Redis and a real Celery worker, and
writes ``var/bench/results.json``. See README.md, "Benchmark".
"""
