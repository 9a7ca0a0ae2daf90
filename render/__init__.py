"""smartlive: a local intelligent livestreaming room."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("smartlive")
except PackageNotFoundError:  # run from a source tree without installing
    __version__ = "0.0.0+source"
