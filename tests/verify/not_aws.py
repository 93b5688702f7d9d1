"""Endpoints on loopback that are not AWS: one that answers every request with the same page (a
proxy's login page, garbage), and one that accepts connections and never answers."""
from __future__ import annotations

import contextlib
import http.server
import socket
import threading
from collections.abc import Iterator


def _handler(body: bytes, content_type: str) -> type[http.server.BaseHTTPRequestHandler]:
    class SamePage(http.server.BaseHTTPRequestHandler):
        def answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_HEAD = answer

        def log_message(self, *_: object) -> None:  # the tests' output stays readable
            pass

    return SamePage


@contextlib.contextmanager
def answering(body: bytes, content_type: str = "text/html") -> Iterator[str]:
    """An HTTP endpoint on 127.0.0.1 that answers every request with `body`; yields its URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(body, content_type))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def silent() -> Iterator[str]:
    """An endpoint whose connections open (the kernel completes them) but never get an answer."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def closed_port() -> str:
    """A URL on a port nothing listens on: bound, then closed."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
