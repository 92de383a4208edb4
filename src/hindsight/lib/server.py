"""`hindsight serve`'s HTTP server, run in-process so the command is the server.

Two servers stand behind one signature, so the benchmark can compare them: granian (a Rust
HTTP server with a WSGI interface) and gunicorn (sync or gthread workers). Both run WORKERS
processes of THREADS request threads each, and on SIGTERM or SIGINT stop accepting, let the
requests in flight finish (for up to GRACEFUL_TIMEOUT seconds) and exit 0.
"""

from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings
from granian.log import LogLevels
from granian.server import Server
from gunicorn.app.base import BaseApplication
from gunicorn.util import import_app

SERVERS = ("granian", "gunicorn")
GRACEFUL_TIMEOUT = 10


def run(target: str, *, server: str, host: str, port: int, workers: int, threads: int) -> None:
    """Serve the WSGI application TARGET ("module:attribute") with SERVER until stopped."""
    if server == "granian":
        run_granian(target, host=host, port=port, workers=workers, threads=threads)
    elif server == "gunicorn":
        run_gunicorn(target, host=host, port=port, workers=workers, threads=threads)
    else:
        raise ValueError(f"unknown server {server!r}; one of {', '.join(SERVERS)}")


def run_granian(target: str, *, host: str, port: int, workers: int, threads: int) -> None:
    Server(
        target,
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        http=HTTPModes.http1,
        workers=workers,
        # The Python threads that run requests, per worker (gunicorn's --threads).
        blocking_threads=threads,
        backlog=1024,
        http1_settings=HTTP1Settings(keep_alive=True),
        log_level=LogLevels.warning,
        log_access=False,
        # A worker that has not finished its requests this long after SIGTERM is killed.
        workers_kill_timeout=GRACEFUL_TIMEOUT,
    ).serve()


class _Gunicorn(BaseApplication):
    def __init__(self, target: str, options: dict):
        self.target = target
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return import_app(self.target)


def run_gunicorn(target: str, *, host: str, port: int, workers: int, threads: int) -> None:
    options = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "timeout": 60,
        "graceful_timeout": GRACEFUL_TIMEOUT,
        "keepalive": 5,
        # Bound memory: recycle a worker now and then (jitter avoids restarting all at once).
        "max_requests": 20000,
        "max_requests_jitter": 2000,
    }
    _Gunicorn(target, options).run()
