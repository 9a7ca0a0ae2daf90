"""play_mode AUDIO: a recorded MP3 (PyAV) and its SRT subtitles (`srt`) -> a Clip."""
from __future__ import annotations

import re
from pathlib import Path

from render.audio import decode_audio
from render.errors import MediaFileError
from render.speech.clip import Clip, Cue

_MARKUP = re.compile(r"<[^>]*>|\{\\[^}]*\}")


def read_srt(path, field: str | None = None) -> list[Cue]:
    """SRT file -> cues (markup such as <i> and {\\an8} removed); MediaFileError if unreadable
    (its message starting with `field`, the room's JSON path, when given)."""
    import srt

    path = Path(path)
    if field:
        try:
            return read_srt(path)
        except MediaFileError as e:
            raise MediaFileError(f"{field}: {e.details[0]}") from None
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise MediaFileError(f"{path}: subtitle file not readable ({e.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MediaFileError(f"{path}: subtitle file is not UTF-8 text") from None
    try:
        subs = list(srt.parse(text))
    except (srt.SRTParseError, ValueError) as e:
        raise MediaFileError(f"{path}: not a valid SRT file ({e})") from None
    cues = []
    for s in sorted(subs, key=lambda s: s.start):
        line = " ".join(_MARKUP.sub("", s.content).split())
        start, end = s.start.total_seconds(), s.end.total_seconds()
        if line and end > start:
            cues.append(Cue(start, end, line))
    return cues


def recorded(audio_path, srt_path=None, *, audio_field: str | None = None, srt_field: str | None = None) -> Clip:
    """Recorded audio at the pipeline's 48 kHz, with the SRT's cues (clamped to the audio);
    errors name the fields when given."""
    samples = decode_audio(audio_path, field=audio_field)
    duration = len(samples) / 48000
    cues = []
    if srt_path is not None:
        for c in read_srt(srt_path, srt_field):
            if c.start < duration:
                cues.append(Cue(c.start, min(c.end, duration), c.text))
    return Clip(samples, cues, [])
