"""play_mode AUDIO: a recorded MP3 (PyAV) and its SRT subtitles (`srt`) -> a Clip."""
from __future__ import annotations

import re
from pathlib import Path

from render.audio import decode_audio
from render.errors import CorruptFileError, MediaFileError
from render.speech.clip import Clip, Cue

_MARKUP = re.compile(r"<[^>]*>|\{\\[^}]*\}")


def read_srt(path, name: str | None = None) -> list[Cue]:
    """SRT file -> cues (markup such as <i> and {\\an8} removed); MediaFileError if unreadable,
    naming `name` (the room's field and reference) or else the file."""
    import srt

    path = Path(path)
    where = name or str(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise MediaFileError(f"{where}: subtitle file not readable ({e.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CorruptFileError(f"{where}: subtitle file is not UTF-8 text") from None
    try:
        subs = list(srt.parse(text))
    except srt.SRTParseError as e:  # its message quotes the file: say where, never what
        line = text.count("\n", 0, e.actual_start) + 1
        raise CorruptFileError(f"{where}: not a valid SRT file (unexpected content at line {line})") from None
    except ValueError:
        raise CorruptFileError(f"{where}: not a valid SRT file (a timestamp or index is out of range)") from None
    cues = []
    for s in sorted(subs, key=lambda s: s.start):
        line = " ".join(_MARKUP.sub("", s.content).split())
        start, end = s.start.total_seconds(), s.end.total_seconds()
        if line and end > start:
            cues.append(Cue(start, end, line))
    return cues


def recorded(audio_path, srt_path=None, *, srt_name: str | None = None) -> Clip:
    """Recorded audio at the pipeline's 48 kHz, with the SRT's cues (clamped to the audio);
    `srt_name` names the subtitle in errors (its field and reference)."""
    samples = decode_audio(audio_path)
    duration = len(samples) / 48000
    cues = []
    if srt_path is not None:
        for c in read_srt(srt_path, srt_name):
            if c.start < duration:
                cues.append(Cue(c.start, min(c.end, duration), c.text))
    return Clip(samples, cues, [])
