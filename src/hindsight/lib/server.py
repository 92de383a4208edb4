"""`hindsight serve`: gunicorn, run in-process so the command is the server."""

from gunicorn.app.base import BaseApplication
from gunicorn.util import import_app


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
    """Serve the WSGI application TARGET ("module:attribute") until SIGTERM or SIGINT."""
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    _Gunicorn(
        target,
        {
            "bind": bind,
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread" if threads > 1 else "sync",
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "warning",
            "timeout": 60,
            "graceful_timeout": 10,
            "keepalive": 5,
            # Bound memory: recycle a worker now and then (jitter avoids restarting all at once).
            "max_requests": 20000,
            "max_requests_jitter": 2000,
        },
    ).run()
