"""A real nginx-rtmp server on a free loopback port, for tests (and bench scripts).

    with RtmpServer(tmp_path) as srv:        # starts nginx, waits until the port accepts
        url = srv.url                        # rtmp://127.0.0.1:PORT/live
        ...push to url + "/key"...
        srv.kill(); srv.start()              # the same port again (reconnection tests)
    srv.recording("key")                     # tmp_path/rec/key.flv (record all, unique off)
    srv.alt_url, srv.recording("key", "alt") # a second application, recorded in rec/alt/

Fixture: `running(tmp_path)` is the body of a function-scoped fixture (a started RtmpServer,
stopped after the test); it skips with a clear reason only when nginx or its rtmp module is
not installed. `rtmp_server` is the same as a ready fixture (for pytest_plugins).
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

NGINX = os.environ.get("NGINX", shutil.which("nginx") or "/usr/sbin/nginx")
RTMP_MODULE = os.environ.get("NGINX_RTMP_MODULE", "/usr/lib/nginx/modules/ngx_rtmp_module.so")

CONFIG = """\
{user}
daemon off;
master_process off;
worker_processes 1;
error_log {dir}/error.log info;
pid {dir}/nginx.pid;
load_module {module};
events {{ worker_connections 64; }}
rtmp {{
    server {{
        listen 127.0.0.1:{port};
        chunk_size 4096;
        application live {{
            live on;
            record all;
            record_path {dir}/rec;
            record_unique off;
        }}
        application alt {{
            live on;
            record all;
            record_path {dir}/rec/alt;
            record_unique off;
        }}
    }}
}}
"""


def missing() -> str | None:
    """Why nginx-rtmp cannot run here, or None."""
    if not (NGINX and Path(NGINX).exists()):
        return "nginx is not installed (apt install nginx-light libnginx-mod-rtmp)"
    if not Path(RTMP_MODULE).exists():
        return f"the nginx rtmp module {RTMP_MODULE} is not installed (apt install libnginx-mod-rtmp)"
    return None


def _has_e_flag() -> bool:
    out = subprocess.run([NGINX, "-h"], capture_output=True, text=True)
    return "-e filename" in out.stdout + out.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        socket.create_connection((host, port), timeout=0.5).close()
        return True
    except OSError:
        return False


class RtmpServer:
    def __init__(self, workdir, port: int | None = None):
        self.dir = Path(workdir).resolve()
        (self.dir / "rec" / "alt").mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.conf = self.dir / "nginx.conf"
        user = "user root;" if os.geteuid() == 0 else ""
        self.conf.write_text(CONFIG.format(user=user, dir=self.dir, module=RTMP_MODULE, port=self.port))
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"rtmp://127.0.0.1:{self.port}/live"

    @property
    def alt_url(self) -> str:
        return f"rtmp://127.0.0.1:{self.port}/alt"

    def recording(self, stream_key: str, app: str = "live") -> Path:
        return self.dir / "rec" / ("" if app == "live" else app) / f"{stream_key}.flv"

    def start(self, timeout: float = 10.0) -> RtmpServer:
        if self.proc is not None and self.proc.poll() is None:
            return self
        cmd = [NGINX, "-p", str(self.dir), "-c", str(self.conf)]
        if _has_e_flag():  # nginx >= 1.19.5: the startup error log in the temp dir as well
            cmd[3:3] = ["-e", str(self.dir / "error.log")]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace")
                raise RuntimeError(f"nginx exited with {self.proc.returncode}: {err}\n{self.log()}")
            if port_open(self.port):
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nginx did not listen on 127.0.0.1:{self.port} within {timeout} s\n{self.log()}")

    def kill(self) -> None:
        """Die abruptly (the publisher sees its connection drop)."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        """Graceful stop: recordings are closed."""
        self._signal(signal.SIGQUIT)

    def _signal(self, sig) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None

    def log(self) -> str:
        p = self.dir / "error.log"
        return p.read_text(errors="replace")[-4000:] if p.exists() else ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def running(tmp_path):
    """Generator for a fixture: a started server, stopped afterwards; skips only when nginx or
    its rtmp module is missing.  In a test module:

        @pytest.fixture
        def nginx(tmp_path):
            yield from rtmp_server.running(tmp_path)
    """
    why = missing()
    if why:
        pytest.skip(why)
    srv = RtmpServer(Path(tmp_path) / "nginx")
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


rtmp_server = pytest.fixture(running, name="rtmp_server")  # for `pytest_plugins = ["rtmp_server"]`
