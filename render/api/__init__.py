"""The REST API (smart-live rooms and live jobs): `create_app(settings)`, `serve(...)`."""

from render.api.app import create_app
from render.api.server import make_settings, serve
from render.api.settings import Settings, default_db_path

__all__ = ["Settings", "create_app", "default_db_path", "make_settings", "serve"]
