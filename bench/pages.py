"""Server-side latency of the staff pages, through the Django test client (in-process:
no network, no web server; the full middleware stack, sessions, 2FA and the read log)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.timing import signed_in_client, summary

WARM_UP = 5
COUNTED = 3  # extra requests whose queries are counted (the timed ones are not captured)


def _insz_display(insz: str) -> str:
    return f"{insz[0:2]}.{insz[2:4]}.{insz[4:6]}-{insz[6:9]}.{insz[9:11]}"


def search_terms(count: int) -> tuple[list[str], list[str]]:
    """What reception types: names ("peeters an", or a last name) and formatted INSZ."""
    from intake.models import Patient

    rng = random.Random(7)
    highest = Patient.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    ids = [rng.randint(1, highest) for _ in range(count * 2)]
    rows = list(Patient.objects.filter(pk__in=ids).values_list("last_name", "first_name", "insz"))
    names = []
    for i, (last, first, _insz) in enumerate(rows):
        names.append(f"{last} {first[:2]}" if i % 2 == 0 else last)
    insz = [_insz_display(insz) for _last, _first, insz in rows if insz]
    return (names * 2)[:count], (insz * 2)[:count]


def check(client: Any, url: str) -> None:
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")


def count_queries(client: Any, urls: Callable[[int], str]) -> int:
    queries = 0
    for i in range(COUNTED):
        with CaptureQueriesContext(connection) as captured:
            client.get(urls(i))
        queries = max(queries, len(captured.captured_queries))
    return queries


def measure(context: dict[str, Any], *, requests: int) -> dict[str, Any]:
    log = context["log"]
    names, insz = search_terms(requests)
    reception = signed_in_client("bench.reception0")
    physio = signed_in_client("bench.physio0")
    coordinator = signed_in_client("bench.coord.bornem")
    manager = signed_in_client("bench.manager")
    admin = signed_in_client("bench.admin")
    pages: list[tuple[str, Any, Callable[[int], str]]] = [
        ("bare", reception, lambda i: "/bench/floor/"),
        ("search_name", reception, lambda i: f"/reception/patients/?q={names[i]}"),
        ("search_insz", reception, lambda i: f"/reception/patients/?q={insz[i]}"),
        ("reception_home", reception, lambda i: "/reception/"),
        ("caseload", physio, lambda i: "/physio/"),
        ("coordinator", coordinator, lambda i: "/coordinator/"),
        ("manager", manager, lambda i: "/manager/"),
        ("admin_changelist", admin, lambda i: "/bench/admin/intake/patient/"),
    ]
    results: dict[str, Any] = {"pages": {}}
    log(f"pages: {requests} requests each, test client (in-process), pages taken in turn")
    for _name, client, urls in pages:
        for i in range(WARM_UP):
            check(client, urls(i))
    # Round robin: a burst of load from elsewhere on the machine hits every page alike.
    seconds: dict[str, list[float]] = {name: [] for name, _client, _urls in pages}
    for i in range(requests):
        for name, client, urls in pages:
            started = time.perf_counter()
            response = client.get(urls(i))
            seconds[name].append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"{urls(i)} answered {response.status_code}")
    for name, client, urls in pages:
        figures = {**summary(seconds[name]), "queries": count_queries(client, urls)}
        results["pages"][name] = figures
        results[f"{name}_p95_ms"] = figures["p95_ms"]
        log(
            f"  {name:<18} p50 {figures['p50_ms']:8.2f} ms   p95 {figures['p95_ms']:8.2f} ms"
            f"   {figures['queries']:3d} queries"
        )
    staff_pages = [n for n in results["pages"] if n != "admin_changelist"]
    results["max_queries_per_page"] = max(results["pages"][n]["queries"] for n in staff_pages)
    return results
