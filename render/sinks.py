"""The outputs' former home, kept so existing imports work: see render.outputs."""
from render.outputs import CONNECTED, CONNECTING, DISCONNECTED, END, RECONNECTING, Output, all_given_up, open_output
from render.outputs.files import FileOutput, NullOutput
from render.outputs.rtmp import RtmpOutput

__all__ = ["CONNECTED", "CONNECTING", "DISCONNECTED", "END", "RECONNECTING", "FileOutput", "NullOutput", "Output",
           "RtmpOutput", "all_given_up", "open_output"]
