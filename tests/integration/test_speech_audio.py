"""Recorded audio (MP3 + SRT), decoding, and the frame-locked mix on real media."""
import subprocess
import wave

import numpy as np
import pytest

from render.audio import Mix, decode_audio
from render.errors import MediaFileError
from render.speech import recorded, speak
from render.timebase import SAMPLE_RATE, samples_per_frame

DBFS_1 = 10 ** (-1 / 20)
SRT = """1
00:00:00,000 --> 00:00:01,200
<i>Hello</i> there

2
00:00:01,500 --> 00:00:02,800
{\\an8}second line

3
00:00:09,000 --> 00:00:10,000
after the end
"""


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args], check=True)


def mp3(path, expr="sine=frequency=440:duration=3", rate=44100, channels=2):
    ffmpeg("-f", "lavfi", "-i", expr, "-ar", str(rate), "-ac", str(channels), "-c:a", "libmp3lame",
           "-b:a", "128k", str(path))
    return path


def rms(x):
    return float(np.sqrt(np.mean(np.asarray(x, np.float64) ** 2)))


def test_recorded_mp3_with_srt(tmp_path):
    audio = mp3(tmp_path / "talk.mp3")
    (tmp_path / "talk.srt").write_text(SRT, encoding="utf-8")
    clip = recorded(audio, tmp_path / "talk.srt")
    assert clip.samples.dtype == np.float32 and clip.samples.ndim == 1
    assert clip.duration == pytest.approx(3.0, abs=0.06)
    spectrum = np.abs(np.fft.rfft(clip.samples[4800:4800 + SAMPLE_RATE]))
    assert np.argmax(spectrum) == pytest.approx(440, abs=1)  # 1 Hz bins at 48 kHz: resampled right
    assert [(c.start, c.end, c.text) for c in clip.cues] == [(0.0, 1.2, "Hello there"), (1.5, 2.8, "second line")]
    assert clip.actions == [] and len(clip.levels(25)) == clip.frames(25)
    assert recorded(audio).cues == []


def test_recorded_bad_files_are_media_errors(tmp_path):
    with pytest.raises(MediaFileError, match="missing.mp3"):
        recorded(tmp_path / "missing.mp3")
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"\x00not audio at all" * 100)
    with pytest.raises(MediaFileError, match="junk.mp3") as e:
        recorded(junk)
    assert e.value.code == "MSS.10001004"
    audio = mp3(tmp_path / "ok.mp3", "sine=duration=1")
    (tmp_path / "bad.srt").write_text("1\nnot a time line\nhello\n", encoding="utf-8")
    with pytest.raises(MediaFileError, match="bad.srt"):
        recorded(audio, tmp_path / "bad.srt")


def test_video_layer_sound(tmp_path):
    with_sound, silent = tmp_path / "a.mp4", tmp_path / "b.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x64:rate=25:duration=1", "-f", "lavfi", "-i",
           "sine=frequency=1000:duration=1:sample_rate=44100", "-c:v", "mpeg4", "-c:a", "aac", "-shortest",
           str(with_sound))
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x64:rate=25:duration=1", "-c:v", "mpeg4", str(silent))
    x = decode_audio(with_sound, optional=True)
    assert len(x) == pytest.approx(SAMPLE_RATE, rel=0.05) and rms(x) > 0.01
    assert len(decode_audio(silent, optional=True)) == 0
    with pytest.raises(MediaFileError, match="no audio"):
        decode_audio(silent)


def test_mix_voice_over_looped_music(tmp_path):
    music = decode_audio(mp3(tmp_path / "bed.mp3", "sine=frequency=220:duration=2,volume=2.5", 44100, 1))
    voice = speak("Welcome to the show. Today we look at something new!", None, None,
                  where="t", cache_dir=tmp_path / "tts")
    fps, spf = 25, samples_per_frame(25)
    start = 25  # voice from frame 25 (1 s)
    mix = Mix(fps, duck=0.5)
    mix.add_bed(music, start=0, gain=0.25)
    mix.add(voice, at=start * spf)
    n = start + voice.frames(fps) + 50
    blocks = [mix.block(i) for i in range(n)]
    assert all(len(b) == spf for b in blocks)
    out = np.concatenate(blocks)
    assert np.abs(out).max() < DBFS_1
    # before the voice: the bed alone, at its gain
    assert rms(out[: 20 * spf]) == pytest.approx(0.25 * rms(music[: 20 * spf]), rel=0.05)
    # during the voice: the voice dominates, the bed is still there (ducked, looped past 2 s)
    seg = slice(start * spf, start * spf + len(voice.samples))
    rest = out[seg] - voice.samples
    assert rms(voice.samples) > 2 * rms(rest)
    assert rms(rest) == pytest.approx(0.25 * 0.5 * rms(music), rel=0.1)  # voice intact over a ducked bed
    # after the voice the bed is back at full bed level, still looping
    tail = out[-20 * spf:]
    assert rms(tail) == pytest.approx(0.25 * rms(music), rel=0.1)


@pytest.mark.slow
def test_long_mix_has_zero_drift(tmp_path):
    """10 minutes: exactly 15000 x 1920 samples; the last voice insert lands on its sample."""
    fps, spf, frames = 25, 1920, 15000
    music = decode_audio(mp3(tmp_path / "bed.mp3", "sine=frequency=330:duration=7.013", 44100, 1))
    voice = speak("This is the recurring announcement.", None, None, where="t",
                  cache_dir=tmp_path / "tts").samples
    mix = Mix(fps, duck=1.0)
    mix.add_bed(music, gain=0.2)
    inserts = [k * 750 + 13 for k in range(20)]  # every 30 s
    for f in inserts:
        mix.add(voice, at=f * spf, gain=1.0)
    path = tmp_path / "long.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        for i in range(frames):
            b = mix.block(i)
            assert len(b) == spf
            w.writeframes((b * 32767).astype(np.int16).tobytes())
            if i == frames - 1:
                last_block = b
    back = decode_audio(path)  # reopened with PyAV
    assert len(back) == frames * spf == 10 * 60 * SAMPLE_RATE
    # the bed's loop phase at the very last frame is exact
    s = (frames - 1) * spf
    want = music[(np.arange(s, s + spf) % len(music))] * 0.2
    assert np.allclose(last_block, want, atol=1e-6)
    # the last insert starts exactly at its frame's first sample
    at = inserts[-1] * spf
    win = back[at - 2400: at + 2400 + len(voice)]
    bedpart = music[(np.arange(at - 2400, at + 2400 + len(voice)) % len(music))] * 0.2
    resid = win - bedpart
    lags = [float(np.dot(resid[2400 + d: 2400 + d + len(voice)], voice)) for d in range(-2400, 2401, 1)]
    assert int(np.argmax(lags)) - 2400 == 0
