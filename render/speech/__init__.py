"""Speech: text (plain or SSML) or recorded audio -> Clip (48 kHz samples + timed cues)."""
from render.speech.clip import Clip, Cue, Phoneme, speech_levels
from render.speech.recorded import recorded
from render.speech.speak import SpeechFn, Voice, speak, voice_for

__all__ = ["Clip", "Cue", "Phoneme", "SpeechFn", "Voice", "recorded", "speak", "speech_levels", "voice_for"]
