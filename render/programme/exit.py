"""The exit policy of a live (interaction.md, Exit policy), pure: after `max_live_duration` hours
the show ends at once (FORCE_EXIT), at the end of the paragraph (SEGMENT_END), of the scene
(SCENE_END) or of the round (SCRIPT_END). RESET_EXIT_CONFIG replaces the config while live."""
from __future__ import annotations

from dataclasses import dataclass

from render.spec.enums import AutoStopMode
from render.spec.models import LiveExitConfig


@dataclass
class ExitPolicy:
    config: LiveExitConfig | None = None
    max_seconds: float | None = None  # overrides max_live_duration (tests, benchmarks)
    due: bool = False                 # the deadline has passed: end at the mode's next boundary

    @property
    def mode(self) -> AutoStopMode:
        c = self.config
        return c.auto_stop_mode if c is not None and c.auto_stop_mode else AutoStopMode.FORCE_EXIT

    def deadline(self) -> float | None:
        """Seconds of stream time after which the show ends (None: never)."""
        if self.max_seconds is not None:
            return self.max_seconds
        if self.config is not None and self.config.max_live_duration:
            return self.config.max_live_duration * 3600.0
        return None

    def at_frame(self, i: int, fps: int) -> bool:
        """Marks the deadline as due at frame i; True when the show must end right now."""
        limit = self.deadline()
        self.due = limit is not None and i >= limit * fps
        return self.due and self.mode == AutoStopMode.FORCE_EXIT

    def ends_after(self, paragraph_ended: bool, scene_changes: bool) -> bool:
        """Past the deadline, an item just ended: is that the boundary the mode waits for?
        (SCRIPT_END waits for the round: the filler refuses to start a new one.)"""
        if not self.due:
            return False
        if self.mode == AutoStopMode.SEGMENT_END:
            return paragraph_ended
        if self.mode == AutoStopMode.SCENE_END:
            return scene_changes
        return False

    def refuses_round(self) -> bool:
        return self.due and self.mode == AutoStopMode.SCRIPT_END

    def ends_when_empty(self) -> bool:
        """Past the deadline with nothing left to play: end instead of waiting idle."""
        return self.due and self.mode != AutoStopMode.FORCE_EXIT
