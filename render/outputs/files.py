"""Local outputs: FileOutput (MP4 for H264+AAC, WebM for VP8+Opus, written to a hidden temp
name in the same folder and renamed on success) and NullOutput (counts packets: benchmarks)."""
from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

import av

from render.errors import OutputError, SpecError
from render.outputs import END


def add_streams(container, templates) -> dict:
    """The encoder's video and audio streams, added to a container being written."""
    return {"video": container.add_stream_from_template(templates.video),
            "audio": container.add_stream_from_template(templates.audio)}


def close_quietly(container) -> None:
    with contextlib.suppress(Exception):  # the connection/file is gone anyway
        container.close()


class LocalOutput:
    """What a local output answers to the network side of the Output protocol: it is ready at
    once, it is `connected` while writing, it never needs a keyframe to join."""

    remote = False
    name: str
    state: str

    def join_late(self) -> None:
        pass

    def wait_ready(self, timeout: float) -> bool:
        return True

    @property
    def connected(self) -> bool:
        return self.state == "WRITING"

    @property
    def url(self) -> str:
        return self.name

    @property
    def connections(self) -> int:
        return 1 if self.state in ("WRITING", END) else 0

    def never_connected(self) -> str | None:
        return None

    def stop(self) -> None:
        pass


class FileOutput(LocalOutput):
    """MP4 for H264, WebM for VP8; temp file in the same folder, renamed on success."""

    def __init__(self, path, settings=None):
        self.path = Path(path)
        self.name = str(self.path)
        self.state = "IDLE"
        self.failure: OutputError | None = None
        self._container = None
        self._tmp: Path | None = None
        if settings is not None:
            self.check(settings)

    def check(self, settings) -> None:
        ext = self.path.suffix.lower()
        if ext != settings.extension:
            kind = settings.container.upper() if settings.container == "mp4" else "WebM"
            raise SpecError(f"video_config.codec: {settings.codec} writes {kind}, not {self.path.name}")
        self._format = settings.container
        if not self.path.parent.is_dir():
            raise OutputError(f"{self.path}: folder {self.path.parent} does not exist")

    def start(self, templates) -> None:
        self._tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex[:8]}.part")
        opts = {"movflags": "+faststart"} if self._format == "mp4" else {}
        try:
            self._container = av.open(str(self._tmp), "w", format=self._format, options=opts)
            self._streams = add_streams(self._container, templates)
        except (av.FFmpegError, OSError) as e:
            self._cleanup()
            raise OutputError(f"{self.path}: cannot open for writing: {e}") from e
        self.state = "WRITING"

    def send(self, pkt) -> None:
        container = self._container
        assert container is not None, "send() before start()"
        try:
            container.mux_one(pkt.to_av(self._streams[pkt.kind]))
        except (av.FFmpegError, OSError) as e:
            self.failure = OutputError(f"{self.path}: write failed: {e}")
            raise self.failure from e

    def finish(self) -> None:
        if self._container is None:
            return
        try:
            self._container.close()
            self._container = None
            assert self._tmp is not None
            os.replace(self._tmp, self.path)
            self._tmp = None
            self.state = END
        except (av.FFmpegError, OSError) as e:
            self._cleanup()
            self.failure = OutputError(f"{self.path}: finalizing failed: {e}")
            raise self.failure from e

    def abort(self) -> None:
        self._cleanup()
        self.state = END

    def _cleanup(self) -> None:
        if self._container is not None:
            close_quietly(self._container)  # the file is deleted anyway
            self._container = None
        if self._tmp is not None:
            try:
                self._tmp.unlink()
            except FileNotFoundError:
                pass
            self._tmp = None


class NullOutput(LocalOutput):
    """Counts packets and bytes; for benchmarks and tests."""

    def __init__(self):
        self.name, self.state, self.failure = "null", "IDLE", None
        self.packets = {"video": 0, "audio": 0}
        self.bytes = 0

    def check(self, settings) -> None:
        pass

    def start(self, templates) -> None:
        self.state = "WRITING"

    def send(self, pkt) -> None:
        self.packets[pkt.kind] += 1
        self.bytes += len(pkt.data)

    def finish(self) -> None:
        self.state = END

    abort = finish
