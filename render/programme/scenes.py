"""The scenes of a room made ready to play: each one's compositor, its sound beds and the speech
of its paragraphs. Everything that can fail on input (assets, media files, voices, SSML) fails
here, before the first frame, with the JSON path of what is wrong."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from render.assets import AssetLibrary
from render.audio import decode_audio
from render.compose import SceneCompositor
from render.plan import paragraphs_in_order, policy_of
from render.programme.items import Track
from render.spec.models import LiveVideoScriptInfo, PlayMode, Room
from render.spec.references import audio_ref, needed, resolve, scene_sounds, subtitle_ref
from render.speech import Clip, SpeechFn, recorded, speak
from render.speech.pose import Pose

BED_GAIN = {"AUDIO": 0.3, "VIDEO": 0.5}  # under the voice (the mix ducks them further while it speaks)


@dataclass
class SceneState:
    """One scene ready to play. `version` tells scenes of a rewritten script from the old ones."""

    index: int
    info: LiveVideoScriptInfo
    compositor: SceneCompositor
    beds: list[tuple[np.ndarray, float, int | None]]  # (samples, gain, loops) under the voice
    clips: dict[int, Clip] = field(default_factory=dict)  # paragraph index -> speech
    tracks: dict = field(default_factory=dict)  # paragraph index -> its items.Track (made once)
    version: int = 0

    @property
    def name(self) -> str:
        return self.info.script_name

    def close(self) -> None:
        self.compositor.close()


def load_clip(room: Room, library: AssetLibrary, s: int, p: int, scene: LiveVideoScriptInfo | None = None, *,
              speech: SpeechFn | None = None) -> Clip:
    """The sound of one paragraph: TTS of its text, or its recorded audio (play_mode AUDIO)."""
    scene = scene or (room.scene_scripts or [])[s]
    para = scene.shoot_scripts[p]
    at = f"scene_scripts[{s}].shoot_scripts[{p}]"
    audio = para.audio_config
    use_audio = audio is not None and (audio.audio_url or audio.asset_id) and (
        policy_of(room).play_mode == PlayMode.AUDIO or para.text_config is None)
    if use_audio:
        path = resolve(library, needed(audio_ref(audio, f"{at}.audio_config"), f"{at}.audio_config"))
        sub = subtitle_ref(audio, f"{at}.audio_config")
        srt = resolve(library, sub) if sub is not None else None
        return recorded(path, srt, srt_name=f"{sub.field} ({sub.ref})" if sub is not None else None)
    if para.text_config is None:
        return Clip(np.zeros(0, np.float32))
    speech = speech or speak  # None: render.speech.speak, looked up when called
    return speech(para.text_config.text, scene.voice_config, library, where=f"{at}.text_config.text")


def scene_beds(room: Room, library: AssetLibrary, s: int) -> list[tuple[np.ndarray, float, int | None]]:
    """(samples, gain, loops) of what a scene plays under the voice while it shows."""
    beds = []
    for ref, loops in scene_sounds(room, s):
        samples = decode_audio(resolve(library, ref), optional=ref.kind == "VIDEO")
        if len(samples):
            beds.append((samples, BED_GAIN[ref.kind], loops))
    return beds


def load_scenes(room: Room, library: AssetLibrary, fps: int, *, wanted: list[int] | None = None,
                speech: bool = True, version: int = 0,
                progress: Callable[[str], None] | None = None,
                speak_fn: SpeechFn | None = None) -> dict[int, SceneState]:
    """Every scene (or the `wanted` ones) with its compositor, beds and paragraph speech."""
    scenes = room.scene_scripts or []
    indexes = range(len(scenes)) if wanted is None else wanted
    out: dict[int, SceneState] = {}
    try:
        for s in indexes:
            out[s] = SceneState(s, scenes[s], SceneCompositor(room, s, library, fps=fps),
                                scene_beds(room, library, s), version=version)
        if speech:
            keys = [(s, p) for s in indexes for p in range(len(scenes[s].shoot_scripts))]
            for n, (s, p) in enumerate(keys, 1):
                if progress:
                    progress(f"speech {n}/{len(keys)}")
                out[s].clips[p] = load_clip(room, library, s, p, speech=speak_fn)
    except BaseException:
        for st in out.values():
            st.close()
        raise
    return out


def speech_at(scene: SceneState, room: Room, t: float, fps: int, gap: int) -> tuple[Pose | float, str | None]:
    """(the streamer's pose, subtitle) at `t` seconds into a scene that plays its paragraphs in order."""
    i = round(t * fps)
    start = 0
    for p in paragraphs_in_order(room, scene.index):
        clip = scene.clips.get(p)
        if clip is None:
            continue
        n = clip.frames(fps)
        if start <= i < start + n + gap:
            if p not in scene.tracks:
                scene.tracks[p] = Track.of(clip, fps, scene.compositor.subtitle_cues(clip.cues))
            track = scene.tracks[p]
            k = i - start
            return track.pose(k), track.subtitles[k] if k < n else None
        start += n + gap
    return 0.0, None
