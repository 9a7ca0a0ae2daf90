"""Any OpenAI-compatible speech server (CosyVoice, GPT-SoVITS, Kokoro behind an OpenAI-style API):
POST {url}/v1/audio/speech with {model, input, voice, response_format, speed}; the answer's
body is the audio (wav, decoded with the standard library; mp3/flac/opus/aac through PyAV).

Asset settings: `url` (the server's base URL, or the full .../v1/audio/speech), `model`,
`voice`, optional `response_format` (default "wav"), `timeout` (seconds, default 30),
`api_key` (sent as a Bearer token). The URL is held to the room's media policy: a room created
over the API may only name a public address (checked again before every request). Such servers
report no phoneme timings: the mouth follows loudness.
"""
from __future__ import annotations

import io
import wave
from collections.abc import Mapping
from typing import Any

import numpy as np

from render import downloads
from render.assets import MediaPolicy
from render.errors import MediaFileError, SpecError
from render.speech.engines import Request, Speech, register

TIMEOUT = 30.0
PATH = "/v1/audio/speech"


def endpoint(options: Mapping[str, Any], where: str) -> str:
    url = str(options.get("url") or "").rstrip("/")
    if not url:
        raise SpecError(f"{where}: an http voice needs a `url` (the speech server's base URL)")
    return url if url.endswith(PATH) else url + PATH


def decode(body: bytes, fmt: str, where: str) -> tuple[np.ndarray, int]:
    """The answer's audio -> mono float32 and its sample rate."""
    try:
        if fmt == "wav":
            with wave.open(io.BytesIO(body)) as w:
                if w.getsampwidth() != 2:
                    raise ValueError(f"{8 * w.getsampwidth()}-bit samples (16-bit expected)")
                x = np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float32) / 32768.0
                return x.reshape(-1, w.getnchannels()).mean(axis=1), w.getframerate()
        import av

        with av.open(io.BytesIO(body)) as f:
            stream = f.streams.audio[0]
            rs = av.AudioResampler(format="flt", layout="mono", rate=stream.rate)
            parts = [r.to_ndarray().reshape(-1) for fr in f.decode(stream) for r in rs.resample(fr)]
            return (np.concatenate(parts) if parts else np.zeros(0, np.float32)), stream.rate
    except (wave.Error, EOFError, ValueError, OSError) as e:
        raise MediaFileError(f"{where}: the speech server's answer is not {fmt} audio ({e})") from None


class Http:
    name = "http"
    alphabets: frozenset[str] = frozenset()

    def model(self, options: Mapping[str, Any]) -> str:
        return f"http/{options.get('url')}/{options.get('model')}/{options.get('voice')}"

    def synthesize(self, request: Request) -> Speech:
        import httpx

        o, where = request.options, request.where
        url = endpoint(o, where)
        policy = request.policy or MediaPolicy.from_env()
        downloads.check_url(url, where, policy)
        fmt = str(o.get("response_format") or "wav")
        body = {"model": o.get("model") or "tts-1", "input": request.text, "voice": o.get("voice") or "alloy",
                "response_format": fmt, "speed": round(min(4.0, max(0.25, request.speed / request.pitch)), 3)}
        headers = {"Authorization": f"Bearer {o['api_key']}"} if o.get("api_key") else {}
        timeout = float(o.get("timeout") or TIMEOUT)
        try:
            r = httpx.post(url, json=body, headers=headers, timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)),
                           follow_redirects=False)
        except httpx.TimeoutException:
            raise MediaFileError(f"{where}: the speech server {url} did not answer within {timeout:g} s") from None
        except httpx.HTTPError as e:
            raise MediaFileError(f"{where}: cannot reach the speech server {url} ({e})") from None
        if r.status_code != 200:
            raise MediaFileError(f"{where}: the speech server {url} answered HTTP {r.status_code}: {r.text[:200]}")
        samples, rate = decode(r.content, fmt, where)
        return Speech(samples, rate * request.pitch, None)


register(Http())
