"""The running programme of a room, frame by frame: the plan played with real speech
and real pictures. The same object feeds a preview file and a live stream.

Everything that can fail on bad input (assets, media files, voices, SSML) is loaded in
the constructor, before the first frame, so a render never fails halfway on input.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from render.assets import AssetLibrary
from render.audio import Mix, decode_audio
from render.compose import SceneCompositor
from render.plan import (
    Key,
    Segment,
    is_idle,
    paragraphs_in_order,
    play_order,
    policy_of,
    shoot_script_switch,
    timeline,
)
from render.spec import LoadedRoom, effective_video_config
from render.spec.models import PlayMode
from render.spec.references import scene_sounds
from render.speech import Clip, recorded, speak
from render.timebase import samples_per_frame

PARAGRAPH_GAP = 0.4  # seconds of quiet after each paragraph, as a person pauses
BED_GAIN = {"AUDIO": 0.3, "VIDEO": 0.5}  # under the voice (the mix ducks them further while it speaks)


@dataclass
class Frame:
    index: int
    picture: np.ndarray              # I420 at the output size
    audio: np.ndarray                # float32 mono, samples_per_frame(fps)
    events: list[dict] = field(default_factory=list)


def load_clip(loaded: LoadedRoom, library: AssetLibrary, key: Key) -> Clip:
    """The sound of one paragraph: TTS of its text, or its recorded audio (play_mode AUDIO)."""
    room = loaded.room
    s, p = key
    scene = room.scene_scripts[s]
    para = scene.shoot_scripts[p]
    at = f"scene_scripts[{s}].shoot_scripts[{p}]"
    audio = para.audio_config
    use_audio = audio is not None and (audio.audio_url or audio.asset_id) and (
        policy_of(room).play_mode == PlayMode.AUDIO or para.text_config is None)
    if use_audio:
        ref_field = "audio_url" if audio.audio_url else "asset_id"
        path = library.resolve(audio.audio_url or audio.asset_id, "AUDIO", f"{at}.audio_config.{ref_field}")
        srt = (library.resolve(audio.subtitle_url, "SUBTITLE", f"{at}.audio_config.subtitle_url")
               if audio.subtitle_url else None)
        return recorded(path, srt)
    return speak(para.text_config.text, scene.voice_config, library, where=f"{at}.text_config.text")


class Show:
    """Per-frame picture and sound of a room under its play policy (`scenes` limits what is
    loaded, for a still of one scene; `frames()` needs them all).

    `frames(limit)` yields Frame objects; `limit` (frames) bounds an endless programme
    (repeat_count -1, or an idle room). A frame's `events` hold the SHOOT_SCRIPT_SWITCH of a
    paragraph that starts on it.
    """

    def __init__(self, loaded: LoadedRoom, library: AssetLibrary, *, seed: int | None = None,
                 room_id: str = "", job_id: str = "", progress: Callable[[str], None] | None = None,
                 scenes: list[int] | None = None):
        self.loaded, self.room = loaded, loaded.room
        self.video = effective_video_config(self.room)
        self.fps = self.video.fps
        self.spf = samples_per_frame(self.fps)
        self.seed, self.room_id, self.job_id = seed, room_id, job_id
        self.subtitles = bool(self.video.is_subtitle_enable)
        all_scenes = self.room.scene_scripts or []
        # the scenes to load (a single frame needs one); the programme itself plays them all
        wanted = range(len(all_scenes)) if scenes is None else scenes
        self.compositors = {i: SceneCompositor(self.room, i, library, fps=self.fps) for i in wanted}
        self.beds = {i: self._scene_beds(library, i) for i in wanted}
        self.idle = is_idle(self.room)
        self.clips: dict[Key, Clip] = {}
        if not self.idle:
            keys = [(s, p) for s in wanted for p in range(len(all_scenes[s].shoot_scripts))]
            for n, key in enumerate(keys, 1):
                if progress:
                    progress(f"speech {n}/{len(keys)}")
                self.clips[key] = load_clip(loaded, library, key)
        self.gap = round(PARAGRAPH_GAP * self.fps)
        self.frames_of = {k: c.frames(self.fps) for k, c in self.clips.items()}
        self._levels = {k: c.levels(self.fps) for k, c in self.clips.items()}
        self._cue_text = {k: self._subtitle_track(c, self.compositors[k[0]].subtitle_cues(c.cues))
                          for k, c in self.clips.items()}

    def close(self) -> None:
        """Release the decoders of the scenes' videos (the render is over)."""
        for comp in self.compositors.values():
            comp.close()

    def _scene_beds(self, library: AssetLibrary, s: int) -> list[tuple[np.ndarray, float, int | None]]:
        """(samples, gain, loops) of what a scene plays under the voice while it shows."""
        beds = []
        for where, ref, kind, loops in scene_sounds(self.room, s):
            samples = decode_audio(library.resolve(ref, kind, where), optional=kind == "VIDEO")
            if len(samples):
                beds.append((samples, BED_GAIN[kind], loops))
        return beds

    def _subtitle_track(self, clip: Clip, cues) -> list[str | None]:
        """The subtitle text of each frame of a clip (None between sentences)."""
        track: list[str | None] = [None] * clip.frames(self.fps)
        for cue in cues:
            a, b = cue.frames(self.fps)
            for i in range(a, min(b, len(track))):
                track[i] = cue.text
        return track

    def total_frames(self) -> int | None:
        """Frames of the whole programme, or None when it is endless."""
        if self.idle or policy_of(self.room).repeat_count == -1:
            return None
        return sum(s.frames for s in self.segments())

    def segments(self) -> Iterator[Segment]:
        if self.idle:
            return iter([Segment(0, 1 << 62, 0, None, 0)])
        return timeline(play_order(self.room, self.seed), self.frames_of, gap=self.gap)

    def frames(self, limit: int | None = None) -> Iterator[Frame]:
        mix = Mix(self.fps)
        bed_sources, bed_scene = [], None
        count = itertools.count() if limit is None else range(limit)
        segments = self.segments()
        seg = next(segments, None)
        for i in count:
            while seg is not None and i >= seg.end:
                seg = next(segments, None)
            if seg is None:
                return
            events = []
            if seg.scene != bed_scene:
                for src in bed_sources:
                    mix.stop(src, i * self.spf)
                bed_scene, at = seg.scene, i * self.spf
                bed_sources = [mix.add_bed(samples, start=at, gain=gain,
                                           end=None if loops is None else at + loops * len(samples))
                               for samples, gain, loops in self.beds[seg.scene]]
            level, subtitle = 0.0, None
            if seg.para is not None:
                key = (seg.scene, seg.para)
                k = i - seg.start
                if k == 0:
                    mix.add(self.clips[key], at=i * self.spf)
                    events.append(shoot_script_switch(self.room, key, room_id=self.room_id, job_id=self.job_id))
                levels = self._levels[key]
                if k < len(levels):
                    level = float(levels[k])
                    subtitle = self._cue_text[key][k] if self.subtitles else None
            t = (i - seg.scene_start) / self.fps
            picture = self.compositors[seg.scene].frame_i420(t, level=level, subtitle=subtitle)
            yield Frame(i, picture, mix.block(i), events)

    def speech_at(self, scene: int, t: float) -> tuple[float, str | None]:
        """(level, subtitle) at `t` seconds into `scene` when it plays its paragraphs in order."""
        if self.idle:
            return 0.0, None
        i = round(t * self.fps)
        order = [(scene, p) for p in paragraphs_in_order(self.room, scene)]
        for seg in timeline(order, self.frames_of, gap=self.gap):
            if seg.start <= i < seg.end:
                key, k = (seg.scene, seg.para), i - seg.start
                if k < len(self._levels[key]):
                    sub = self._cue_text[key][k] if self.subtitles else None
                    return float(self._levels[key][k]), sub
                return 0.0, None
        return 0.0, None
