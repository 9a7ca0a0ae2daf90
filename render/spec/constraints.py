"""Rules of the notes that span the room, checked on the raw JSON so they are reported
even when other fields are invalid (every violation named in one error)."""
from __future__ import annotations

CANVAS = {"VERTICAL": (1080, 1920), "LANDSCAPE": (1920, 1080)}
RESIZE_SIZES = {(1920, 1080), (1080, 1920), (1280, 720), (720, 1280), (3840, 2160), (2160, 3840)}


def canvas_size(view_mode) -> tuple[int, int]:
    """(width, height) of the canvas of a view_mode (VERTICAL by default)."""
    key = getattr(view_mode, "value", view_mode) or "VERTICAL"
    if not isinstance(key, str):  # a list...: the model's validation says why
        return CANVAS["VERTICAL"]
    return CANVAS.get(key, CANVAS["VERTICAL"])


def _int(v):
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def room_rule_violations(data: dict) -> list[tuple[str, str]]:
    """(json path, reason) for the room-wide rules: outputs pair up; RESIZE sizes; CROP in the canvas."""
    out: list[tuple[str, str]] = []
    urls, keys = data.get("output_urls"), data.get("stream_keys")
    if isinstance(urls, list) and isinstance(keys, list) and len(urls) != len(keys):
        out.append(("stream_keys", f"{len(keys)} stream keys for {len(urls)} output_urls; they pair up one to one"))
    elif isinstance(keys, list) and keys and not isinstance(urls, list):
        out.append(("output_urls", "stream_keys are given without output_urls"))
    vc = data.get("video_config")
    if not isinstance(vc, dict):
        return out
    w, h = _int(vc.get("width")), _int(vc.get("height"))
    if w is None or h is None:
        return out
    for name, v in (("width", w), ("height", h)):
        if v % 2:
            out.append((f"video_config.{name}", f"{v} must be even (the video is YUV 4:2:0)"))
    mode = vc.get("clip_mode") or "RESIZE"
    if mode == "RESIZE" and (w, h) not in RESIZE_SIZES:
        sizes = ", ".join(f"{a}x{b}" for a, b in sorted(RESIZE_SIZES))
        out.append(("video_config.width", f"{w}x{h} is not a RESIZE resolution (one of {sizes})"))
    if mode == "CROP":
        cw, ch = canvas_size(data.get("view_mode"))
        dx, dy = _int(vc.get("dx")) or 0, _int(vc.get("dy")) or 0
        if dx + w > cw:
            out.append(("video_config.dx", f"CROP dx {dx} + width {w} goes past the canvas width {cw}"))
        if dy + h > ch:
            out.append(("video_config.dy", f"CROP dy {dy} + height {h} goes past the canvas height {ch}"))
    return out
