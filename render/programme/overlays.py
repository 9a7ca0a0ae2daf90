"""Overlays shown over the scenes for a while (SHOW_LAYER, rule layers), stacked by layer_index."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from render.layers.smart import NO_REPLY_SECONDS, display_seconds, layer_index, smart_item
from render.spec.models import SmartLayerConfig

__all__ = ["NO_REPLY_SECONDS", "Overlay", "build_overlay"]
_ids = itertools.count(1)


@dataclass
class Overlay:
    layer: SmartLayerConfig
    item: object                      # (RGBA, x, y) or a VideoLayer
    index: int                        # layer_index
    seconds: float | None             # display_duration; None: while its reply speaks, else 5 s
    id: str = field(default_factory=lambda: f"layer-{next(_ids)}")
    rule_index: str | None = None
    reply_id: str | None = None       # the reply it shows with (hidden when that reply ends)
    command_id: str | None = None     # the SHOW_LAYER command that showed it
    start: int = 0                    # first frame shown
    end: int | None = None            # frame it is hidden at (None: with its reply)
    _ops: dict = field(default_factory=dict, repr=False)

    def ops_for(self, compositor) -> list:
        """This overlay's blend operations over a scene (kept per scene compositor)."""
        key = id(compositor)
        if key not in self._ops:
            self._ops[key] = compositor.overlay_ops(self.item, self.index)
        return self._ops[key]

    def redraw(self, fresh: Overlay) -> None:
        """Draw again with a freshly built item (a DYNAMIC text whose viewer count changed)."""
        self.item, self._ops = fresh.item, {}

    def close(self) -> None:
        close = getattr(self.item, "close", None)
        if close:
            close()

    def message(self, room_id: str, job_id: str) -> dict:
        return {"room_id": room_id, "job_id": job_id, "layer_id": self.id,
                "layer_type": self.layer.layer_type.value, "layer_index": self.index,
                "rule_index": self.rule_index, "reply_id": self.reply_id, "command_id": self.command_id}


def build_overlay(layer: SmartLayerConfig, where: str, library, view, fps: int, *, fill=None,
                  rule_index: str | None = None, reply_id: str | None = None,
                  command_id: str | None = None) -> Overlay:
    """Load a smart layer's media (any failure names `where`); runs off the frame thread live."""
    item = smart_item(layer, where, library, view, fps, fill=fill)
    return Overlay(layer, item, layer_index(layer), display_seconds(layer), rule_index=rule_index,
                   reply_id=reply_id, command_id=command_id)
