"""Live commands (interaction.md, Commands): `{command, params}` -> a validated Command. Pure.

    cmd = parse_command({"command": "INSERT_PLAY_SCRIPT", "params": {"text_config": {"text": "Hi"}}})
    cmd.name, cmd.params.text_config.text, cmd.command_id

The API answers an invalid command with 400 MSS.00000003 naming `params.<path>`; the programme
(timelines, stdin, the job channel) rejects it the same way and the show goes on. SSML in an
inserted text is parsed as a paragraph's is, so a malformed tag never reaches the speech thread.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, ValidationError, model_validator

from render.errors import SpecError
from render.spec.enums import PlayType, Role
from render.spec.load import _reason, json_path, script_violations
from render.spec.models import (
    LiveExitConfig,
    LiveRoomInteractionRuleInfo,
    LiveVideoScriptInfo,
    Room,
    SmartLayerConfig,
    SpecModel,
    TextConfig,
    _rtmp_url,
    _upper,
)
from render.spec.rules import rule_errors
from render.speech.ssml import parse as parse_ssml  # pure: checks the tags, synthesizes nothing

Upper = BeforeValidator(_upper)


class InsertPlayScript(SpecModel):
    text_config: TextConfig
    play_type: Annotated[PlayType, Upper] = PlayType.PLAY_NOW
    play_role: Annotated[Role, Upper] = Role.STREAMER
    rule_index: str | None = None


class InsertPlayAudio(SpecModel):
    audio_url: str = Field(min_length=1)
    play_type: Annotated[PlayType, Upper] = PlayType.APPEND
    play_role: Annotated[Role, Upper] = Role.STREAMER
    rule_index: str | None = None


class RewritePlayScript(SpecModel):
    scene_scripts: list[LiveVideoScriptInfo] = Field(min_length=1)


class RewriteInteractionRules(SpecModel):
    interaction_rules: list[LiveRoomInteractionRuleInfo]


class ShowLayer(SpecModel):
    layer_config: SmartLayerConfig


class RefreshOutputUrl(SpecModel):
    output_urls: list[Annotated[str, AfterValidator(_rtmp_url)]] = Field(min_length=1)
    stream_keys: list[str] | None = None

    @model_validator(mode="after")
    def _pairs(self):
        if self.stream_keys is not None and len(self.stream_keys) != len(self.output_urls):
            raise ValueError(f"{len(self.stream_keys)} stream_keys for {len(self.output_urls)} output_urls; "
                             "they pair up one to one")
        return self


class CleanUpInsertCommand(SpecModel):
    command_ids: list[str] | None = None


class NoParams(SpecModel):
    pass


PARAMS: dict[str, type[BaseModel]] = {
    "INSERT_PLAY_SCRIPT": InsertPlayScript,
    "INSERT_PLAY_AUDIO": InsertPlayAudio,
    "REWRITE_PLAY_SCRIPT": RewritePlayScript,
    "REWRITE_INTERACTION_RULES": RewriteInteractionRules,
    "GET_CURRENT_PLAYING_SCRIPTS": NoParams,
    "SHOW_LAYER": ShowLayer,
    "REFRESH_OUTPUT_URL": RefreshOutputUrl,
    "GET_LIVE_JOB_CONFIG_INFO": NoParams,
    "CLEAN_UP_INSERT_COMMAND": CleanUpInsertCommand,
    "RESET_EXIT_CONFIG": LiveExitConfig,
}
QUERIES = {"GET_CURRENT_PLAYING_SCRIPTS", "GET_LIVE_JOB_CONFIG_INFO"}
INSERTS = {"INSERT_PLAY_SCRIPT", "INSERT_PLAY_AUDIO"}


@dataclass
class Command:
    """A validated command. `source` is EXTERNAL (API, timeline, stdin) or AUTO (a rule's reply)."""

    name: str
    params: Any  # the PARAMS model of `name`
    command_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    source: str = "EXTERNAL"
    raw_params: dict = field(default_factory=dict)  # as given, for insert-commands listings

    @property
    def is_query(self) -> bool:
        return self.name in QUERIES

    @property
    def is_insert(self) -> bool:
        return self.name in INSERTS


def parse_command(body: Any, *, where: str = "", command_id: str | None = None, source: str = "EXTERNAL") -> Command:
    """`{command, params}` -> Command; SpecError naming `command` or `params.<path>` otherwise."""
    prefix = f"{where}." if where else ""
    if not isinstance(body, dict):
        raise SpecError(f"{where or '(body)'}: must be a JSON object with command and params")
    name = body.get("command")
    if not isinstance(name, str) or name.upper() not in PARAMS:
        known = ", ".join(sorted(PARAMS))
        raise SpecError(f"{prefix}command: {name!r} is not a command (one of {known})")
    name = name.upper()
    params = body.get("params")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise SpecError(f"{prefix}params: must be a JSON object")
    try:
        model = PARAMS[name].model_validate(params)
    except ValidationError as e:
        raise SpecError(details=[f"{prefix}params.{json_path(err['loc'])}: {_reason(err)}"
                                 for err in e.errors()]) from None
    if isinstance(model, InsertPlayScript):
        parse_ssml(model.text_config.text, f"{prefix}params.text_config.text")
    if isinstance(model, RewritePlayScript):
        bad = script_violations(Room.model_construct(scene_scripts=model.scene_scripts))  # type: ignore[call-arg]
        if bad:
            raise SpecError(details=[f"{prefix}params.{p}: {r}" for p, r in bad])
    if isinstance(model, RewriteInteractionRules):
        bad = rule_errors(Room.model_construct(interaction_rules=model.interaction_rules))  # type: ignore[call-arg]
        if bad:
            raise SpecError(details=[f"{prefix}params.{p}: {r}" for p, r in bad])
    return Command(name, model, command_id or uuid.uuid4().hex, source, params)
