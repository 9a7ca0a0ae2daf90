"""A small OpenAI-compatible speech server on 127.0.0.1 for the tests and bench/tts.py.

POST /v1/audio/speech with JSON {model, input, voice, response_format, speed} -> 200 and the
audio (WAV, 16-bit mono) spoken by espeak-ng (its command line, `-s` words per minute x speed),
as such servers answer; 400 for a body without `input`, 404 for another path. `delay` seconds
of waiting before each answer (a slow or hung server); every request body is kept in `requests`.
"""
from __future__ import annotations

import json
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class SpeechServer:
    def __init__(self, *, delay: float = 0.0, voice: str = "en-us+f3"):
        self.delay, self.voice = delay, voice
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path != "/v1/audio/speech":
                    return self._send(404, b'{"error": "not found"}', "application/json")
                try:
                    req = json.loads(body)
                    text = str(req["input"])
                except (ValueError, KeyError):
                    return self._send(400, b'{"error": "input is required"}', "application/json")
                server.requests.append(req)
                time.sleep(server.delay)
                if req.get("response_format", "mp3") != "wav":
                    return self._send(400, b'{"error": "this server answers wav only"}', "application/json")
                self._send(200, server.wav(text, float(req.get("speed") or 1.0)), "audio/wav")

            def _send(self, code, data, ctype):
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def wav(self, text: str, speed: float) -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "a.wav"
            subprocess.run(["espeak-ng", "-v", self.voice, "-s", str(round(175 * speed)), "-w", str(out), text],
                           check=True, capture_output=True, timeout=30)
            return out.read_bytes()

    def __enter__(self) -> SpeechServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
