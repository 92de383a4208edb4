"""Time the related post-mortems in process: related.related() for random readable ids as
the bench's member user, wall and CPU time, median and p99 (nearest-rank).

    HINDSIGHT_DATA_DIR=DIR python -m bench.related [--samples 300]

Run it against a seeded data dir or database (`python -m bench.seed --count 100000`, which
runs ANALYZE on PostgreSQL: the candidate query reads the word frequencies it keeps). CPU time is this process's alone, so on a busy
machine it says what the wall time would be on an idle one (SQLite works in process; on
PostgreSQL the server's share is in the wall time only).
"""

import argparse
import os
import random
import statistics
import time


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-99 * len(ordered) // 100) - 1)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hindsight.settings")
    import django

    django.setup()
    from bench.seed import BENCH_USER
    from hindsight.accounts.models import User
    from hindsight.postmortems import related
    from hindsight.postmortems.models import PostMortem, readable_by

    user = User.objects.get(username=BENCH_USER)
    ids = list(PostMortem.objects.filter(readable_by(user)).values_list("pk", flat=True))
    rng = random.Random(args.seed)
    sample = [rng.choice(ids) for _ in range(args.samples)]
    for pk in sample[:10]:  # warm-up: connection, caches
        related.related(user, pk)
    wall, cpu = [], []
    for pk in sample:
        started, used = time.perf_counter(), time.process_time()
        related.related(user, pk)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
    print(
        f"related over {len(ids):,} readable post-mortems, {args.samples} samples:"
        f" wall median {statistics.median(wall):.1f} ms, p99 {_p99(wall):.1f} ms;"
        f" cpu median {statistics.median(cpu):.1f} ms, p99 {_p99(cpu):.1f} ms;"
        f" load average {os.getloadavg()[0]:.1f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
