"""Times the insights endpoints in process (Django's test client, no HTTP server), as the
bench's member user, unfiltered: the median and the slowest of --runs calls per endpoint,
each computed afresh (nothing kept from the call before).

    HINDSIGHT_DATA_DIR=DIR python -m bench.insights_timing --runs 7

A quicker look than bench/run.py (which measures them over HTTP with wrk), to see what a
change to the queries costs.
"""

import argparse
import os
import statistics
import sys
import time

ENDPOINTS = ["incidents", "durations", "postmortems", "action-items", "factors"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="calls per endpoint (default 5)")
    parser.add_argument("--only", help="comma-separated endpoints (default: all five)")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hindsight.settings")
    import django

    django.setup()
    from django.core.cache import caches
    from django.test import Client

    from bench.seed import ensure_users

    bench, _ = ensure_users()
    client = Client(HTTP_HOST="localhost")
    client.force_login(bench)
    names = args.only.split(",") if args.only else ENDPOINTS
    for name in names:
        times = []
        for _ in range(args.runs):
            caches["insights"].clear()  # the figure computed, not the kept answer
            began = time.perf_counter()
            answer = client.get(f"/api/insights/{name}")
            times.append((time.perf_counter() - began) * 1000)
            if answer.status_code != 200:
                raise SystemExit(f"{name}: {answer.status_code} {answer.content[:300]!r}")
        print(f"{name:14} median {statistics.median(times):8.1f} ms   max {max(times):8.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
