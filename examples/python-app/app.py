"""A minimal HTTP service shaped for Berth, in Python with the standard library only.

It serves everything under BASE_PATH (the project's path on the shared load balancer, which forwards the full
path unchanged), answers the health check at BASE_PATH/health, listens on PORT, logs one JSON line per event to
stdout (the container log Berth ships to CloudWatch Logs), and stops cleanly on SIGTERM (ECS sends it before
it stops a task, then waits service.stopTimeoutSeconds before SIGKILL).
"""

import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

DEFAULT_BASE_PATH = "/api/python"
DEFAULT_PORT = 8080


def log(msg, **fields):
    print(json.dumps({"msg": msg, **fields}), flush=True)


def normalize_base_path(value):
    path = (value or DEFAULT_BASE_PATH).rstrip("/")
    return path if path.startswith("/") else "/" + path


def make_handler(base_path, name):
    class Handler(BaseHTTPRequestHandler):
        server_version = "berth-python-example"

        def _send(self, status, body, extra_headers=None):
            text = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(text)))
            self.send_header("Cache-Control", "no-store")
            for key, value in (extra_headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(text)

        def do_GET(self):  # noqa: N802 (http.server's naming)
            path = urlsplit(self.path).path
            if path == base_path + "/health":
                self._send(200, {"status": "ok"})
            elif path in (base_path, base_path + "/"):
                self._send(200, {"service": name, "message": "hello from Berth"})
            else:
                self._send(404, {"error": "not found", "path": path})

        do_HEAD = do_GET  # noqa: N815

        def do_POST(self):  # noqa: N802
            self._send(405, {"error": "method not allowed"}, {"Allow": "GET, HEAD"})

        def log_message(self, format, *args):  # noqa: A002 (the base class's signature)
            log("request", line=format % args)

    return Handler


def create_server(port=None, base_path=None, name=None):
    base = normalize_base_path(base_path if base_path is not None else os.environ.get("BASE_PATH"))
    service = name or os.environ.get("BERTH_PROJECT", "python-example")
    listen = DEFAULT_PORT if port is None else port
    return ThreadingHTTPServer(("0.0.0.0", listen), make_handler(base, service))


def main():
    port = int(os.environ.get("PORT", DEFAULT_PORT))
    server = create_server(port=port)

    def stop(signum, _frame):
        log("stopping", signal=signal.Signals(signum).name)
        # shutdown() waits for serve_forever to return; call it from another thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log("listening", port=server.server_address[1])
    server.serve_forever()
    server.server_close()
    log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
