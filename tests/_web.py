"""A small, real data directory for the web tests, and a live server for the browser.

The event store holds the ICEWS Cambodia extract (1,376 real events, tests/data with its
SOURCE file) and the real UN General Assembly votes of Cambodia and the United States that
tracktwo ships (tracktwo/datasets/SOURCES.md). The
registry is written by hand so every figure a test checks can be worked out on paper:

    KHM: Phnom Penh, Battambang, Siem Reap, <script>alert('x')</script> Town (an escaping
         probe), Royal University of Phnom Penh
    USA: Long Beach, Lowell, Seattle, Houston, University of Washington

    tie 1  Phnom Penh – Long Beach   sister_city, culture, from 2007, a visit on 2026-03-01: active
    tie 2  Battambang – Lowell       sister_city, education, from 2015, last exchange 2023-06-01:
                                     dormant (silent > 24 months on any day after 2025-06-01)
    tie 3  Siem Reap – Seattle       sister_city, business, from 2025-09-01, no activity: active
                                     (a tie counts from its start date) until 2027-09

Users (password = username + "-password-1"): viewer, editor, admin.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

DATA = Path(__file__).parent / "data"
SCRIPT_NAME = "<script>alert('x')</script> Town"
# (name, country, kind, latitude, longitude, population, areas offered, areas needed)
ACTORS = [
    ("Phnom Penh", "KHM", "city", 11.56, 104.92, 1_573_544, ["culture"], ["health"]),
    ("Battambang", "KHM", "city", 13.10, 103.20, 150_000, ["agriculture"], ["education"]),
    ("Siem Reap", "KHM", "city", 13.36, 103.86, 139_458, ["culture"], ["business"]),
    (SCRIPT_NAME, "KHM", "city", 12.00, 104.00, 20_000, [], []),
    ("Royal University of Phnom Penh", "KHM", "university", 11.57, 104.89, None, ["science"],
     ["education"]),
    ("Long Beach", "USA", "city", 33.77, -118.19, 462_257, ["business"], ["culture"]),
    ("Lowell", "USA", "city", 42.63, -71.32, 106_519, ["education"], ["culture"]),
    ("Seattle", "USA", "city", 47.61, -122.33, 608_660, ["science"], ["culture"]),
    ("Houston", "USA", "city", 29.76, -95.36, 2_296_224, ["health"], ["agriculture"]),
    ("University of Washington", "USA", "university", 47.65, -122.31, None, ["education"],
     ["science"]),
]  # fmt: skip
USERS = {"viewer": "viewer", "editor": "editor", "admin": "admin"}


def _months_later(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    return day.replace(year=day.year + year, month=month + 1)


def expected_counts(today: date) -> tuple[int, int]:
    """(active, dormant) of the three fixture ties today: a tie is dormant once 24 months
    pass after its last activity, or after its start when it has none."""
    latest = [date(2026, 3, 1), date(2023, 6, 1), date(2025, 9, 1)]  # ties 1, 2, 3
    dormant = sum(today > _months_later(day, 24) for day in latest)
    return len(latest) - dormant, dormant


def password_of(username: str) -> str:
    return f"{username}-password-1"


def build_home(home: Path, registry_url: str | None = None) -> dict[str, int]:
    """Fill ``home`` (event store, registry, users); returns actor ids by name."""
    from tracktwo.accounts import add_user
    from tracktwo.bridges import Registry
    from tracktwo.bridges._edit import add_actor, add_tie, log_activity
    from tracktwo.datasets import dataset_path
    from tracktwo.events import ingest_file
    from tracktwo.pulse import ingest_votes
    from tracktwo.store import EventStore

    with EventStore(home, write=True) as store:
        ingest_file(store, DATA / "icews_khm_extract.tsv")
        ingest_votes(
            store, dataset_path("un_votes_khm_usa.csv.gz"), dataset_path("un_roll_calls.csv.gz")
        )
    ids: dict[str, int] = {}
    with Registry(registry_url, home=home) as registry:
        for name, country, kind, lat, lon, pop, offered, needed in ACTORS:
            row = add_actor(registry, name=name, country=country, kind=kind, latitude=lat,
                            longitude=lon, population=pop, areas_offered=offered,
                            areas_needed=needed)  # fmt: skip
            ids[name] = row["id"]
        one = add_tie(registry, ids["Phnom Penh"], ids["Long Beach"], "sister_city",
                      areas=["culture"], start_date=date(2007, 1, 1))  # fmt: skip
        log_activity(registry, one["id"], date(2026, 3, 1), "visit", participants=20)
        two = add_tie(registry, ids["Battambang"], ids["Lowell"], "sister_city",
                      areas=["education"], start_date=date(2015, 1, 1))  # fmt: skip
        log_activity(registry, two["id"], date(2023, 6, 1), "exchange")
        add_tie(registry, ids["Siem Reap"], ids["Seattle"], "sister_city", areas=["business"],
                start_date=date(2025, 9, 1))  # fmt: skip
        for username, role in USERS.items():
            add_user(registry, username, password_of(username), role)
    return ids


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def live_server(
    home: Path, registry_url: str | None = None, port: int | None = None, **settings: object
) -> Iterator[str]:
    """The real app under uvicorn on 127.0.0.1 in a thread (on ``port``, or a free one);
    yields its base URL."""
    import uvicorn

    from tracktwo.web import WebSettings, create_app

    app = create_app(WebSettings(home=home, db_url=registry_url, **settings))  # type: ignore[arg-type]
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start within 30 s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
