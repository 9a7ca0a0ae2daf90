"""The asset check `smartlive validate` does, for the API: every media reference of a room must
resolve in the server's asset library (the project library, $SMARTLIVE_ASSETS, --assets) under
the server's media policy (asset ids, --media-root files, public http(s) URLs).

    check_room_media(room, settings)   # None, or MediaCheckError (400)
"""

from __future__ import annotations

from render.api.settings import Settings
from render.assets import AssetLibrary
from render.errors import RenderError
from render.spec.models import Room
from render.spec.references import check_media


class MediaCheckError(RenderError):
    """Every unresolved reference: the first problem's code (MSS.10001001 / MSS.10001004) and
    every problem's message joined with "; " (as `smartlive validate --json` reports them)."""

    http_status = 400

    def __init__(self, problems: list[RenderError]):
        self.code = problems[0].code
        self._message = "; ".join(p.message for p in problems)
        super().__init__(details=[p.message for p in problems])

    @property
    def message(self) -> str:
        return self._message


def api_library(settings: Settings) -> AssetLibrary:
    """The asset library of rooms that arrive over the API: the server's folders, its media policy."""
    return AssetLibrary.default(base_dir=None, extra_dirs=settings.assets_dirs, policy=settings.media_policy())


def check_room_media(room: Room, settings: Settings) -> None:
    library = api_library(settings)
    problems = check_media(room, library)
    if problems:
        raise MediaCheckError(problems)
