"""Subcommands that render: frame, preview, push, serve."""
from __future__ import annotations

REGISTER = []
