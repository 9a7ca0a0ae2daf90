"""Smart layers (SHOW_LAYER, a rule's layer_config): IMAGE, VIDEO or TEXT shown over a scene for
a while. Built with the scene layers' own builders (one resolver for media references); the
compositor stacks them by layer_index (`SceneCompositor.overlay_ops`)."""
from __future__ import annotations

from render.layers.image import image_layer
from render.layers.text import text_layer
from render.layers.video import video_layer
from render.spec.models import SmartLayerConfig, SmartLayerType

NO_REPLY_SECONDS = 5.0  # display_duration 0 or absent, with no reply to follow (interaction.md)


def display_seconds(layer: SmartLayerConfig) -> float | None:
    """The layer's display_duration in seconds; None when 0 or absent (the reply's length or 5 s)."""
    sub = {SmartLayerType.IMAGE: layer.image_config, SmartLayerType.VIDEO: layer.video_config,
           SmartLayerType.TEXT: layer.text_config}[layer.layer_type]
    d = getattr(sub, "display_duration", None)
    return float(d) if d else None


def layer_index(layer: SmartLayerConfig) -> int:
    return layer.position.layer_index if layer.position else 1


def smart_item(layer: SmartLayerConfig, prefix: str, library, view, fps: int, *, fill=None):
    """The overlay item of a smart layer: an (RGBA, x, y) picture, or a VideoLayer that plays from
    its start and loops while shown. `fill(text) -> text` fills placeholders of TEXT layers
    (smart text is plain, not base64)."""
    kind = layer.layer_type
    if kind == SmartLayerType.IMAGE:
        return image_layer(layer, prefix, library, view)
    if kind == SmartLayerType.VIDEO:
        return video_layer(layer, prefix, library, view, fps, loop_count=0)
    text = (layer.text_config.text_context if layer.text_config else "") or ""
    return text_layer(fill(text) if fill else text, layer, view)
