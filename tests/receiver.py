"""A webhook receiver on 127.0.0.1 in a thread, for the notification tests. It records every
request as it arrives and can be told to fail (HTTP 500), to answer slowly, or to go down
and come back on the same port."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self):
        self.requests: list[dict] = []
        self.fail_next = 0  # answer 500 to this many further requests
        self.always_fail = False
        self.delay = 0.0  # seconds before answering
        self.delay_first = 0.0  # extra delay for the very first request only
        self._cond = threading.Condition()
        self._server = None
        self.port = 0

    # Life cycle ---------------------------------------------------------------------

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._cond:
                    index = len(receiver.requests)
                    fail = receiver.always_fail or receiver.fail_next > 0
                    if receiver.fail_next > 0:
                        receiver.fail_next -= 1
                    receiver.requests.append(
                        {
                            "path": self.path,
                            "headers": dict(self.headers.items()),
                            "body": body,
                            "at": time.monotonic(),
                            "answered": None,
                        }
                    )
                    receiver._cond.notify_all()
                time.sleep(receiver.delay + (receiver.delay_first if index == 0 else 0))
                status = 500 if fail else 200
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"boom" if fail else b"ok")
                with receiver._cond:
                    receiver.requests[index]["answered"] = status
                    receiver._cond.notify_all()

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Go down: the port refuses connections until start() again."""
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    # Reading what arrived ---------------------------------------------------------------

    def wait_for(self, count: int, timeout: float = 10, answered: bool = False) -> list[dict]:
        """Block until COUNT requests arrived (with ANSWERED: were answered 200)."""

        def enough():
            rows = [r for r in self.requests if not answered or r["answered"] == 200]
            return len(rows) >= count

        with self._cond:
            if not self._cond.wait_for(enough, timeout):
                raise AssertionError(
                    f"expected {count} requests within {timeout} s, got {len(self.requests)}"
                )
            return list(self.requests)

    def json(self, index: int) -> dict:
        return json.loads(self.requests[index]["body"])

    def delivery_ids(self) -> list[str]:
        return [r["headers"]["X-Hindsight-Delivery"] for r in self.requests]
