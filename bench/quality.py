"""Picture quality of the encoders: every decoded frame against the lossless composed frame.

    python bench/quality.py [--profile live] [--seconds 20] [--codecs H264,VP8] [--bitrates room,1500]
                            [--set x264.rc-lookahead=0 --set vbv=1 ...]

Builds the reference workload (../shared/bench/make_media.py) into bench/.ref, renders its
room (about 20 s) once per codec and bitrate through render.encode.Encoder with the chosen
profile, decodes each packet as it leaves the encoder and compares the decoded luma with the
composed I420 frame that went in (PSNR and SSIM, per frame; SSIM on 8x8 windows at a 4-pixel
step, as x264 and ffmpeg's ssim filter compute it). Prints per encode: mean and minimum PSNR
and SSIM, the worst keyframe against the mean of its neighbours (two frames each side; frame 0,
which has none before it, is left out), the smallest keyframe against the mean of the four
frames after it (bytes), the bitrate and the encoder's delay (frames in before the first packet
out). Targets: no keyframe more than 2 dB below its neighbours; VP8's mean PSNR within 2 dB of
H264's at the same bitrate.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from preview import build_reference  # noqa: E402

from render.assets import AssetLibrary  # noqa: E402
from render.encode import FILE, PROFILES, Encoder, EncodeSettings  # noqa: E402
from render.outputs.files import LocalOutput  # noqa: E402
from render.preview import encode_settings  # noqa: E402
from render.spec import load_room  # noqa: E402

KEYFRAME_DROP_DB = 2.0  # a keyframe may be at most this far below its neighbours
VP8_GAP_DB = 2.0  # VP8's mean PSNR may be at most this far below H264's
DECODER = {"H264": "h264", "VP8": "vp8"}


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    d = a.astype(np.int16) - b.astype(np.int16)
    mse = float(np.einsum("ij,ij->", d, d, dtype=np.int64)) / d.size
    return 100.0 if mse == 0 else 10 * np.log10(255 * 255 / mse)


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM over 8x8 windows at a 4-pixel step (x264's and ffmpeg's ssim filter)."""
    h, w = a.shape[0] // 4 * 4, a.shape[1] // 4 * 4
    x = a[:h, :w].astype(np.float64)
    y = b[:h, :w].astype(np.float64)

    def sums(v):  # 4x4 block sums, then the 8x8 windows made of 2x2 blocks
        s = v.reshape(h // 4, 4, w // 4, 4).sum(axis=(1, 3))
        return s[:-1, :-1] + s[1:, :-1] + s[:-1, 1:] + s[1:, 1:]

    s1, s2, ss, s12 = sums(x), sums(y), sums(x * x + y * y), sums(x * y)
    c1, c2 = .01 * .01 * 255 * 255 * 64, .03 * .03 * 255 * 255 * 64 * 63
    var = ss * 64 - s1 * s1 - s2 * s2
    cov = s12 * 64 - s1 * s2
    m = (2 * s1 * s2 + c1) * (2 * cov + c2) / ((s1 * s1 + s2 * s2 + c1) * (var + c2))
    return float(m.mean())


class CompareOutput(LocalOutput):
    """An encoder output that decodes every video packet at once and compares it with the
    source frame of the same index (then forgets the source): per-frame PSNR, SSIM, bytes,
    keyframe flag, and the encoder's delay in frames."""

    name = "compare"

    def __init__(self, codec: str, sources: dict[int, np.ndarray]):
        self.codec, self.sources = codec, sources
        self.state, self.failure = "IDLE", None
        self.encoder: Encoder | None = None
        self.rows: dict[int, dict] = {}
        self.delay = 0

    def check(self, settings) -> None:
        pass

    def start(self, templates) -> None:
        self.dec = av.CodecContext.create(DECODER[self.codec], "r")
        self.dec.extradata = templates.video.codec_context.extradata
        self.time_base = templates.video.codec_context.time_base
        self.state = "WRITING"

    def send(self, pkt) -> None:
        if pkt.kind != "video":
            return
        if self.encoder is not None:  # frames given to the encoder before this one came out
            self.delay = max(self.delay, self.encoder.frames_encoded - pkt.pts)
        self.rows[pkt.pts] = {"bytes": len(pkt.data), "key": pkt.keyframe}
        p = av.Packet(pkt.data)
        p.pts, p.dts, p.time_base = pkt.pts, pkt.dts, pkt.time_base
        self._compare(self.dec.decode(p))

    def _compare(self, frames) -> None:
        for f in frames:
            src = self.sources.pop(f.pts)
            y = f.to_ndarray()[:src.shape[0]]  # yuv420p: the luma plane first
            self.rows[f.pts].update(psnr=psnr(src, y), ssim=ssim(src, y))

    def finish(self) -> None:
        self._compare(self.dec.decode(None))
        self.state = "END"

    abort = finish


def neighbours(rows: list[dict], i: int) -> list[dict]:
    return [rows[j] for j in (i - 2, i - 1, i + 1, i + 2) if 0 <= j < len(rows) and not rows[j]["key"]]


def summarize(rows: list[dict], fps: int) -> dict:
    p = np.array([r["psnr"] for r in rows])
    s = np.array([r["ssim"] for r in rows])
    keys = [i for i, r in enumerate(rows) if r["key"]]
    drops, size_ratios = [], []
    for i in keys:
        near = neighbours(rows, i)
        if i > 0 and near:
            drops.append((float(np.mean([r["psnr"] for r in near])) - rows[i]["psnr"], i))
        after = rows[i + 1:i + 5]
        if after:
            size_ratios.append((rows[i]["bytes"] / float(np.mean([r["bytes"] for r in after])), i))
    worst_drop, worst_at = max(drops) if drops else (0.0, -1)
    near = neighbours(rows, worst_at) if worst_at >= 0 else []
    smallest, small_at = min(size_ratios) if size_ratios else (0.0, -1)
    return {
        "frames": len(rows), "keyframes": len(keys),
        "kbps": round(sum(r["bytes"] for r in rows) * 8 / 1000 / (len(rows) / fps)),
        "psnr_mean": round(float(p.mean()), 2), "psnr_min": round(float(p.min()), 2),
        "ssim_mean": round(float(s.mean()), 4), "ssim_min": round(float(s.min()), 4),
        "worst_keyframe": worst_at, "worst_keyframe_psnr": round(rows[worst_at]["psnr"], 2) if near else None,
        "worst_keyframe_ssim": round(rows[worst_at]["ssim"], 4) if near else None,
        "neighbours_psnr": round(float(np.mean([r["psnr"] for r in near])), 2) if near else None,
        "keyframe_drop_db": round(worst_drop, 2),
        "keyframe_bytes_vs_next4": round(smallest, 2), "smallest_keyframe": small_at,
    }


def encode_and_compare(loaded, library, settings: EncodeSettings, frames: int) -> tuple[dict, int]:
    from render.programme import Programme

    sources: dict[int, np.ndarray] = {}
    out = CompareOutput(settings.codec, sources)
    prog = Programme(loaded, library)
    h = settings.height
    try:
        with Encoder(settings, [out]) as enc:
            out.encoder = enc
            for _ in range(frames):
                frame = prog.next_frame()
                if frame is None:
                    break
                sources[frame.index] = frame.picture[:h].copy()
                enc.push(frame.picture, frame.audio)
    finally:
        prog.close()
    rows = [out.rows[i] for i in sorted(out.rows)]
    missing = [i for i, r in enumerate(rows) if "psnr" not in r]
    if missing or len(rows) != frames:
        raise SystemExit(f"{settings.codec}: {len(rows)} packets for {frames} frames, undecoded {missing[:5]}")
    return summarize(rows, settings.fps), out.delay


def parse_sets(items: list[str]) -> dict:
    changes = {}
    for item in items:
        key, _, value = item.partition("=")
        if key in ("vbv", "keyint_seconds"):
            changes[key] = None if value in ("", "none") else float(value)
        elif key == "thread_count":
            changes[key] = int(value)
        else:
            changes[key] = None if value == "" else value
    return changes


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="live", choices=sorted(PROFILES))
    ap.add_argument("--seconds", type=float, default=None, help="default: the whole room (about 20 s)")
    ap.add_argument("--codecs", default="H264,VP8")
    ap.add_argument("--bitrates", default="room,1500", help="kbit/s list; 'room' is the room's own")
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                    help="change the profile: x264.OPTION=V, vpx.OPTION=V, vbv=S, threads=SLICE, ...")
    args = ap.parse_args(argv)
    from render.programme import Programme

    loaded = load_room(build_reference())
    library = AssetLibrary.default(base_dir=loaded.base_dir)
    base = encode_settings(loaded)
    profile = PROFILES[args.profile].with_options(**parse_sets(args.set))
    prog = Programme(loaded, library)
    frames = prog.total_frames()
    prog.close()
    if args.seconds:
        frames = min(frames, round(args.seconds * base.fps))
    print(f"profile {profile.name}: {json.dumps(profile.__dict__)}", file=sys.stderr)
    runs = [(codec, b, profile) for codec in args.codecs.split(",") for b in args.bitrates.split(",")]
    if "H264" in args.codecs.split(",") and profile.name != "file":  # x264 as ffmpeg's reference runs it
        runs += [("H264", b, FILE) for b in args.bitrates.split(",")]
    results, ok = [], True
    for codec, b, prof in runs:
        kbps = base.bitrate_kbps if b == "room" else int(b)
        s = EncodeSettings(codec, base.width, base.height, fps=base.fps, bitrate_kbps=kbps, profile=prof)
        r, delay = encode_and_compare(loaded, library, s, frames)
        r.update(codec=codec, target_kbps=kbps, delay_frames=delay, profile=prof.name)
        results.append(r)
        good = r["keyframe_drop_db"] <= KEYFRAME_DROP_DB
        ok &= good
        print(f"{codec:4s} {prof.name:4s} {kbps:5d} kbit/s (made {r['kbps']:5d}): PSNR mean {r['psnr_mean']:6.2f} min "
              f"{r['psnr_min']:6.2f} dB  SSIM mean {r['ssim_mean']:.4f} min {r['ssim_min']:.4f}  "
              f"worst keyframe #{r['worst_keyframe']} {r['worst_keyframe_psnr']} dB vs neighbours "
              f"{r['neighbours_psnr']} dB: {r['keyframe_drop_db']:+.2f} dB below (target <= "
              f"{KEYFRAME_DROP_DB}) {'ok' if good else 'MISSED'}  keyframe bytes >= "
              f"{r['keyframe_bytes_vs_next4']:.2f}x next 4  delay {delay} frames", flush=True)
    by = {(r["codec"], r["profile"], r["target_kbps"]): r for r in results}
    for (codec, name, kbps), r in by.items():
        for h264 in ("file", name) if codec == "VP8" else ():  # VP8 makes files: FILE's H264 is its peer
            if ("H264", h264, kbps) in by:
                gap = by[("H264", h264, kbps)]["psnr_mean"] - r["psnr_mean"]
                good = gap <= VP8_GAP_DB
                ok &= good
                print(f"VP8 vs H264 ({h264}) at {kbps} kbit/s: mean PSNR {gap:+.2f} dB below H264 (target <= "
                      f"{VP8_GAP_DB}) {'ok' if good else 'MISSED'}")
                break
        if codec == "H264" and name != "file" and ("H264", "file", kbps) in by:
            ref = by[("H264", "file", kbps)]
            print(f"H264 {name} vs ffmpeg's x264 settings (file profile) at {kbps} kbit/s: PSNR "
                  f"{r['psnr_mean'] - ref['psnr_mean']:+.2f} dB, SSIM {r['ssim_mean'] - ref['ssim_mean']:+.4f}, "
                  f"delay {r['delay_frames']} vs {ref['delay_frames']} frames")
    print(json.dumps({"profile": profile.name, "frames": frames, "results": results}))
    print("all quality targets met" if ok else "some quality targets missed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
