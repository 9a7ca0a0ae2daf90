"""Job runners: what runs a live job's worker (render.runners.base describes the seam).

    runner = make_runner(settings)     # settings.runner: "local" (default) or "ray"

A new runner is one module with a class implementing render.runners.base.Runner, constructed
from the server's Settings, and one line here. A runner's own dependencies are imported only in
its module (Ray: the optional extra smartlive[cluster]).
"""
from __future__ import annotations

import importlib

from render.errors import SpecError

RUNNERS = {  # --runner NAME -> "module:Class"
    "local": "render.runners.local:LocalRunner",
    "ray": "render.runners.ray_runner:RayRunner",
}


def make_runner(settings):
    """The runner named by settings.runner; SpecError naming --runner when unknown or not installed."""
    name = getattr(settings, "runner", "local")
    if name not in RUNNERS:
        raise SpecError(f"--runner: {name!r} is not a job runner ({', '.join(RUNNERS)})")
    module, cls = RUNNERS[name].split(":")
    try:
        found = importlib.import_module(module)
    except ImportError as e:  # an optional extra that is not installed
        raise SpecError(f"--runner: {name} needs its optional dependencies ({e}); "
                        f"install them with: pip install 'smartlive[cluster]'") from None
    return getattr(found, cls)(settings)
