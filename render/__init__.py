"""smartlive: a local intelligent livestreaming room."""
import os
from importlib.metadata import PackageNotFoundError, version

# No BLAS thread pool: nothing here multiplies matrices, and each live room is its own process
# whose spare cores belong to the other rooms; OpenBLAS's idle threads cost a live push ~1% CPU.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

try:
    __version__ = version("smartlive")
except PackageNotFoundError:  # run from a source tree without installing
    __version__ = "0.0.0+source"
