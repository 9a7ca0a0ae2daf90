"""Interaction rules at run time (issue 11): matching, replies, the reply flow, robots, callbacks.
The programme uses the façade `Interaction` and, on its speech thread, `answer` / `answer_stream`."""
from render.interaction.actions import Callback, Observe, Reply, ShowLayers
from render.interaction.callback import CallbackSender
from render.interaction.engine import Interaction
from render.interaction.replies import dynamic_text
from render.interaction.robot import answer, answer_stream

__all__ = ["Interaction", "Reply", "ShowLayers", "Callback", "Observe", "CallbackSender", "dynamic_text",
           "answer", "answer_stream"]
