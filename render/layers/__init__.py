"""One small module per kind of picture on a scene (see render/compose.py)."""
