"""Production settings plus a way to make a request slow, for tests of the real server
(graceful shutdown, threads). Only a server started with
DJANGO_SETTINGS_MODULE=tests.slow_settings has it; the installed package does not ship it.

A request with `X-Test-Delay: SECONDS` appends "start" to DATA_DIR/slow-requests.log, sleeps,
then appends "end", so a test can tell when the request is in flight.
"""

import time

from hindsight.settings import *  # noqa: F403
from hindsight.settings import DATA_DIR, MIDDLEWARE

SLOW_LOG = DATA_DIR / "slow-requests.log"


def delay(get_response):
    def middleware(request):
        seconds = request.headers.get("X-Test-Delay")
        if seconds:
            with SLOW_LOG.open("a") as log:
                log.write("start\n")
            time.sleep(float(seconds))
            with SLOW_LOG.open("a") as log:
                log.write("end\n")
        return get_response(request)

    return middleware


MIDDLEWARE = ["tests.slow_settings.delay", *MIDDLEWARE]
