"""Staff clicking their usual pages, for ``bench.http`` (locust, headless).

Each simulated person takes one signed-in session from ``BENCH_SESSIONS`` (a JSON list of
``{"role", "cookies", "names", "insz"}`` written by ``bench.http``) and clicks the pages
of their role with ``BENCH_THINK_SECONDS`` (± half) between clicks.
"""

import itertools
import json
import os
import random

from locust import HttpUser, between, task

SESSIONS = json.loads(os.environ["BENCH_SESSIONS"])
THINK = float(os.environ.get("BENCH_THINK_SECONDS", "2"))
# One person clicking the whole mix (the 1-user run): each click is made in the session
# of one of the 20 in turn, so the one user sees the same pages, as often, as the 20 do.
WHOLE_MIX = os.environ.get("BENCH_WHOLE_MIX") == "1"
_next_session = itertools.cycle(SESSIONS)
SEARCH = "/reception/patients/?q="


class Staff(HttpUser):
    wait_time = between(THINK / 2, THINK * 1.5)

    def on_start(self) -> None:
        self.session = next(_next_session)
        self.client.cookies.update(self.session["cookies"])
        self.rng = random.Random(len(self.session["cookies"]["sessionid"]))

    def get(self, url: str, name: str) -> None:
        with self.client.get(url, name=name, allow_redirects=False, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}")

    @task
    def usual_page(self) -> None:
        if WHOLE_MIX:
            self.session = next(_next_session)
            self.client.cookies.clear()
            self.client.cookies.update(self.session["cookies"])
        role = self.session["role"]
        if role == "reception":
            choice = self.rng.random()
            if choice < 0.4:
                self.get("/reception/", "reception home")
            elif choice < 0.7:
                self.get(
                    f"/reception/patients/?q={self.rng.choice(self.session['names'])}",
                    "search name",
                )
            else:
                self.get(
                    f"/reception/patients/?q={self.rng.choice(self.session['insz'])}", "search insz"
                )
        elif role == "physio":
            self.get("/physio/", "caseload")
        elif role == "coordinator":
            self.get("/coordinator/", "coordinator")
        else:
            self.get("/manager/", "manager")
