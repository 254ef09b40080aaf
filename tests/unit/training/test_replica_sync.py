"""The supervisor's model sync must not hold up its restart loop while a replica loads a model."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bot.training.replica_sync import ReplicaModelSync


class SlowRasa(BaseHTTPRequestHandler):
    """Answers GET / at once; holds PUT /model until the test releases it."""

    release, answered = threading.Event(), threading.Event()
    loads = []

    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()

    def do_PUT(self) -> None:
        SlowRasa.loads.append(self.path)
        SlowRasa.release.wait(timeout=10)
        self.send_response(204)
        self.end_headers()
        SlowRasa.answered.set()

    def log_message(self, *args) -> None:
        pass


def test_a_replica_loading_the_live_model_does_not_hold_up_the_loop_that_calls_check(tmp_path: Path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowRasa)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    live = tmp_path / "current.tar.gz"
    live.write_bytes(b"the model read at start-up")
    sync = ReplicaModelSync(live, token="t")
    try:
        sync.started(url)
        (tmp_path / "promoted.tar.gz").write_bytes(b"the model promoted meanwhile")
        (tmp_path / "promoted.tar.gz").rename(live)
        sync.check()
        assert not SlowRasa.answered.is_set(), "check() waited for the replica to load the model"
        SlowRasa.release.set()
        assert SlowRasa.answered.wait(timeout=30)
        assert [p.split("?")[0] for p in SlowRasa.loads] == ["/model"]
        assert sync.starting == {}
    finally:
        SlowRasa.release.set()
        server.shutdown()
