"""The browser console served at /console: static files (static/, no build step), the per-job
event hub the console's live log reads, and the live-view producer the push worker runs."""

from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
