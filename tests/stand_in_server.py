"""A loopback stand-in for a SPARQL server, for tests of the remote store's requests and connections:
HTTP/1.1 with keep-alive, every request recorded (method, target, headers, body, client port), every
answer the same small JSON result (``?n`` = 7)."""
from __future__ import annotations

import base64
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ANSWER = (b'{"head":{"vars":["n"]},"results":{"bindings":[{"n":{"type":"literal","value":"7",'
          b'"datatype":"http://www.w3.org/2001/XMLSchema#integer"}}]}}')


class StandInServer:
    """``close_after``: close the connection after each answer without saying so, as a server at its
    keep-alive limit does. ``credentials`` (user, password): answer 401 with a basic challenge to a
    request without them, as a server behind basic authentication does."""

    def __init__(self, close_after: bool = False, credentials: tuple[str, str] | None = None):
        seen = self.requests = []
        expected = None if credentials is None else \
            "Basic " + base64.b64encode(":".join(credentials).encode()).decode()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _answer(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                seen.append({"method": self.command, "target": self.path, "headers": dict(self.headers),
                             "body": body, "port": self.client_address[1]})
                refused = expected is not None and self.headers.get("Authorization", "") != expected
                answer = b"" if refused else ANSWER
                self.send_response(401 if refused else 200)
                if refused:
                    self.send_header("WWW-Authenticate", 'Basic realm="sparql"')
                self.send_header("Content-Type", "application/sparql-results+json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
                if close_after:
                    self.close_connection = True

            do_GET = do_POST = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sparql"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
