"""`redline notify --test` sends to each configured channel and says which worked."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from redline.cli.main import main


@pytest.fixture
def receiver():
    got: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            got.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], got
    server.shutdown()
    server.server_close()


def test_notify_test_reports_each_channel_and_fails_when_one_does(tmp_path, monkeypatch, capsys, receiver) -> None:
    port, got = receiver
    monkeypatch.setenv("REDLINE_APPRISE_URLS", f"json://127.0.0.1:{port}/")
    monkeypatch.setenv("REDLINE_OPERATOR_APPRISE_URLS", "json://127.0.0.1:9/")
    code = main(["notify", "--test", "--archive", str(tmp_path / "archive")])
    out = capsys.readouterr().out
    assert code == 1
    assert len(got) == 1 and b"test alert" in got[0]
    assert "sent" in out and "failed" in out and "monitors" in out and "operators" in out


def test_notify_test_without_channels_says_how_to_configure(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.delenv("REDLINE_APPRISE_URLS", raising=False)
    monkeypatch.delenv("REDLINE_OPERATOR_APPRISE_URLS", raising=False)
    monkeypatch.delenv("REDLINE_CONFIG", raising=False)
    assert main(["notify", "--test", "--archive", str(tmp_path / "archive")]) == 1
    assert "REDLINE_APPRISE_URLS" in capsys.readouterr().out
