"""Tests of the example service; `python -m unittest` runs them (Berth's Test stage: pipeline.testCommand)."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import app  # noqa: E402


class ServerTest(unittest.TestCase):
    def setUp(self):
        self.server = app.create_server(port=0, base_path="/api/py", name="py-test")
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def tearDown(self):
        self.server.shutdown()
        self.server.server_close()

    def get(self, path):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as res:
                return res.status, json.loads(res.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    def test_health_path_under_base_path_answers_200(self):
        self.assertEqual(self.get("/api/py/health"), (200, {"status": "ok"}))

    def test_base_path_answers_hello_with_the_service_name(self):
        status, body = self.get("/api/py")
        self.assertEqual(status, 200)
        self.assertEqual(body["service"], "py-test")

    def test_paths_outside_base_path_are_404(self):
        self.assertEqual(self.get("/health")[0], 404)

    def test_base_path_is_normalized(self):
        self.assertEqual(app.normalize_base_path("api/x/"), "/api/x")


class SigtermTest(unittest.TestCase):
    def test_sigterm_stops_the_process_cleanly(self):
        env = {**os.environ, "PORT": "0", "BASE_PATH": "/api/py"}
        proc = subprocess.Popen(
            [sys.executable, os.path.join(os.path.dirname(__file__), "..", "app.py")],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            line = proc.stdout.readline()
            self.assertEqual(json.loads(line)["msg"], "listening")
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=10), 0)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()


if __name__ == "__main__":
    unittest.main()
