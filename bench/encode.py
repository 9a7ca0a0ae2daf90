"""Encode speed: our PyAV encoder vs the ffmpeg floor, and PyAV vs piping yuv420p to ffmpeg.

    python ../shared/bench/make_media.py bench/.ref
    python bench/encode.py bench/.ref [--frames 500] [--repeat 3]

Every mode encodes the same still 1080x1920 picture (media/bg.png) with the same speech
(media/speech.wav) for `--frames` frames: libx264 veryfast 4000k yuv420p + AAC 128k, 25 fps.
- reference : `sh ffmpeg-reference.sh DIR encode_static` (20 s = 500 frames), the floor
- pyav-null : render.encode.Encoder into a NullOutput (encoding alone)
- pyav-mp4  : render.encode.Encoder into a FileOutput (.mp4)
- pipe-mp4  : raw yuv420p on stdin + f32le audio on a second pipe of an ffmpeg process (ffmpeg-python)
Modes run interleaved (paired), `--repeat` times; medians are printed as frames/s and as a
ratio to the reference wall time per frame.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import av
import ffmpeg
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from render.encode import Encoder, EncodeSettings  # noqa: E402
from render.outputs.files import FileOutput, NullOutput  # noqa: E402

REFERENCE = Path(os.environ.get("FFMPEG_REFERENCE", ROOT.parent / "shared/bench/ffmpeg-reference.sh"))
W, H, FPS, SPF = 1080, 1920, 25, 1920


def load_inputs(ref: Path, frames: int):
    with av.open(str(ref / "media/bg.png")) as c:
        img = next(c.decode(video=0))
    i420 = img.reformat(width=W, height=H, format="yuv420p").to_ndarray()
    res = av.AudioResampler(format="flt", layout="mono", rate=48000)
    chunks = []
    with av.open(str(ref / "media/speech.wav")) as c:
        for f in c.decode(audio=0):
            chunks += [r.to_ndarray().reshape(-1) for r in res.resample(f)]
    audio = np.concatenate(chunks).astype(np.float32)
    audio = np.resize(audio, frames * SPF)  # loop if short
    return i420, audio


def run_pyav(i420, audio, frames, out_path=None) -> float:
    s = EncodeSettings("H264", W, H, fps=FPS, bitrate_kbps=4000)
    out = FileOutput(out_path, s) if out_path else NullOutput()
    t = time.perf_counter()
    with Encoder(s, [out]) as enc:
        for i in range(frames):
            enc.push(i420, audio[i * SPF:(i + 1) * SPF])
    return time.perf_counter() - t


def run_pipe(i420, audio, frames, out_path) -> float:
    video = ffmpeg.input("pipe:0", format="rawvideo", pix_fmt="yuv420p", s=f"{W}x{H}", framerate=FPS)
    r, w = os.pipe()
    sound = ffmpeg.input(f"pipe:{r}", format="f32le", ar=48000, ac=1)
    cmd = (ffmpeg.output(video, sound, str(out_path), vcodec="libx264", preset="veryfast",
                         video_bitrate="4000k", pix_fmt="yuv420p", acodec="aac", audio_bitrate="128k")
           .global_args("-hide_banner", "-v", "error").overwrite_output().compile())
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, pass_fds=(r,))
    os.close(r)

    def feed_audio():
        with os.fdopen(w, "wb") as f:
            for i in range(frames):
                f.write(audio[i * SPF:(i + 1) * SPF].tobytes())

    th = threading.Thread(target=feed_audio)
    th.start()
    data = i420.tobytes()
    for _ in range(frames):
        proc.stdin.write(data)
    proc.stdin.close()
    th.join()
    if proc.wait():
        raise RuntimeError(f"ffmpeg pipe failed: {cmd}")
    return time.perf_counter() - t


def run_reference(ref: Path, out_path) -> float:
    t = time.perf_counter()
    subprocess.run(["sh", str(REFERENCE), str(ref), "encode_static", str(out_path)], check=True)
    return time.perf_counter() - t


def frames_in(path) -> int:
    with av.open(str(path)) as c:
        return sum(1 for p in c.demux(video=0) if p.size)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ref", type=Path, help="folder made by make_media.py")
    ap.add_argument("--frames", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--modes", default="reference,pyav-null,pyav-mp4,pipe-mp4")
    args = ap.parse_args(argv)
    i420, audio = load_inputs(args.ref, args.frames)
    modes = args.modes.split(",")
    times: dict[str, list[float]] = {m: [] for m in modes}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for rep in range(args.repeat):
            for m in modes:
                out = tmp / f"{m}.mp4"
                if m == "reference":
                    wall = run_reference(args.ref, out) * args.frames / 500  # it always makes 500
                elif m == "pyav-null":
                    wall = run_pyav(i420, audio, args.frames)
                elif m == "pyav-mp4":
                    wall = run_pyav(i420, audio, args.frames, out)
                elif m == "pipe-mp4":
                    wall = run_pipe(i420, audio, args.frames, out)
                else:
                    raise SystemExit(f"unknown mode {m}")
                if m in ("pyav-mp4", "pipe-mp4"):
                    assert frames_in(out) == args.frames, (m, frames_in(out))
                times[m].append(wall)
                print(f"run {rep + 1} {m:10s} {wall:6.2f} s  {args.frames / wall:6.1f} frames/s",
                      file=sys.stderr, flush=True)
    ref = statistics.median(times["reference"]) if "reference" in times else None
    print(f"{'mode':10s} {'median s':>9s} {'frames/s':>9s} {'vs ffmpeg':>9s}")
    for m, ts in times.items():
        med = statistics.median(ts)
        ratio = f"{med / ref:9.2f}" if ref else ""
        print(f"{m:10s} {med:9.2f} {args.frames / med:9.1f} {ratio}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
