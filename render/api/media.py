"""The asset check `smartlive validate` does, for the API: every media reference of a room must
resolve in the server's asset library (the project library, $SMARTLIVE_ASSETS, --assets) under
the server's media policy (asset ids, --media-root files, public http(s) URLs). The URLs a job
will POST to (the room's live event callback, the job's interaction_callback_url) are held to
the same policy: a room cannot make its worker post to a private address.

    check_room_media(room, settings, callbacks=[(field, url)])   # None, or MediaCheckError (400)
    check_command_media(cmd, settings)                          # a live command's media (400)
    check_refs_media(rule_refs(rules), settings)                # e.g. a rule group's rules (400)

A room's check covers its scenes and its interaction rules (reply audios, reply layers); a
command's covers SHOW_LAYER's layer, INSERT_PLAY_AUDIO's audio_url and the scenes or rules a
REWRITE_* command brings: a violation is a 400 naming the field before anything reaches the
worker. The fields are found by the one resolver, render.spec.references.
"""

from __future__ import annotations

from collections.abc import Iterable

from render.api.settings import Settings
from render.assets import AssetLibrary
from render.errors import RenderError
from render.spec.models import Room
from render.spec.references import MediaRef, check_refs, command_refs, media_references, rule_refs


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


def callback_urls(room: Room) -> list[tuple[str, str]]:
    """(field, URL) of every callback a room's job posts to."""
    cfg = room.live_event_callback_config
    url = cfg.live_event_type_callback_url if cfg else None
    return [("live_event_callback_config.live_event_type_callback_url", url)] if url else []


def check_room_media(room: Room, settings: Settings, callbacks: list[tuple[str, str]] = ()) -> None:
    """Media references and callback URLs (the room's and `callbacks`) under the server's policy."""
    library = api_library(settings)
    problems = check_refs(library, [*media_references(room), *rule_refs(room.interaction_rules)])
    for field, url in [*callback_urls(room), *callbacks]:
        try:
            library.check_url(url, field)
        except RenderError as e:
            problems.append(e)
    if problems:
        raise MediaCheckError(problems)


def check_command_media(cmd, settings: Settings) -> None:
    """The media a live command names (render.spec.commands.Command), under the server's policy."""
    check_refs_media(command_refs(cmd), settings)


def check_refs_media(refs: Iterable[MediaRef], settings: Settings) -> None:
    """These media references (e.g. a rule group's rules) under the server's policy."""
    problems = check_refs(api_library(settings), refs)
    if problems:
        raise MediaCheckError(problems)
