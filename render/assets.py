"""Asset IDs and URLs -> local files.

A library folder holds `manifest.json`: {"assets": [{"id", "kind", "file", "meta"}]}, with
`file` relative to the folder (or absent: e.g. a voice, or a model drawn as a placeholder).
Kinds: IMAGE, VIDEO, AUDIO, HUMAN_MODEL, VOICE, SUBTITLE, ROBOT (an INTELLIGENT_REPLY robot, a JSON
file: render/interaction/robot.py); one id may have several kinds.
Folders searched: the package's render/data/library, then $SMARTLIVE_ASSETS (os.pathsep list),
then any given with --assets. A reference in a room is an asset id, a local path (relative
to the room file), a file:// URL or an http(s):// URL (downloaded once into a cache).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from render.errors import AssetNotFoundError, MediaFileError

PROJECT_LIBRARY = Path(__file__).resolve().parent / "data" / "library"  # shipped in the wheel
KINDS = ("IMAGE", "VIDEO", "AUDIO", "HUMAN_MODEL", "VOICE", "SUBTITLE", "ROBOT")
MB = 1024 * 1024
# The spec's caps (audio under 100 MB, SRT under 1 MB) and sane ones for pictures and video.
SIZE_CAPS = {"AUDIO": 100 * MB, "SUBTITLE": 1 * MB, "IMAGE": 30 * MB, "VIDEO": 1024 * MB,
             "HUMAN_MODEL": 30 * MB}
DOWNLOAD_TIMEOUT = 20.0
_ID = re.compile(r"^[A-Za-z0-9_\-]+$")


def cache_root() -> Path:
    return Path(os.environ.get("SMARTLIVE_CACHE") or Path.home() / ".cache" / "smartlive")


@dataclass(frozen=True)
class Asset:
    id: str
    kind: str
    path: Path | None
    meta: dict = field(default_factory=dict, hash=False, compare=False)


def read_manifest(folder: Path) -> list[Asset]:
    """The assets a library folder declares; a broken manifest is a clear MediaFileError."""
    mf = folder / "manifest.json"
    try:
        entries = json.loads(mf.read_text(encoding="utf-8"))["assets"]
        return [Asset(e["id"], e["kind"], folder / e["file"] if e.get("file") else None, e.get("meta", {}))
                for e in entries]
    except FileNotFoundError:
        return []
    except (ValueError, KeyError, TypeError) as e:
        raise MediaFileError(f"asset manifest {mf}: not a valid manifest ({e})") from None


class AssetLibrary:
    """Resolves asset ids and URLs of one room; `base_dir` anchors relative paths."""

    def __init__(self, folders: list[Path], *, base_dir: Path | None = None, cache_dir: Path | None = None):
        self.folders = [Path(f) for f in folders]
        self.base_dir = Path(base_dir) if base_dir else Path.cwd()
        self.cache_dir = Path(cache_dir) if cache_dir else cache_root() / "downloads"
        self._assets: dict[tuple[str, str], Asset] = {}
        for folder in self.folders:
            for a in read_manifest(folder):
                self._assets.setdefault((a.id, a.kind), a)

    @classmethod
    def default(cls, base_dir: Path | None = None, extra_dirs=()) -> AssetLibrary:
        env = [p for p in os.environ.get("SMARTLIVE_ASSETS", "").split(os.pathsep) if p]
        return cls([PROJECT_LIBRARY, *env, *extra_dirs], base_dir=base_dir)

    def asset(self, asset_id: str, kind: str, field: str) -> Asset:
        """The asset of that id and kind, or AssetNotFoundError (MSS.10001001) naming the field."""
        found = self._assets.get((asset_id, kind))
        if found is None:
            raise AssetNotFoundError(f"{field}: no {kind} asset with id {asset_id!r} in the library")
        if found.path is not None and not found.path.is_file():
            raise MediaFileError(f"{field}: asset {asset_id!r} names {found.path}, which does not exist")
        return found

    def resolve(self, ref: str, kind: str, field: str) -> Path:
        """An asset id, local path, file:// or http(s):// URL -> a readable local file."""
        if not ref:
            raise MediaFileError(f"{field}: empty reference")
        scheme = urlparse(ref).scheme.lower()
        if scheme in ("http", "https"):
            return self._check(self._download(ref, kind, field), kind, field)
        if scheme == "file":
            return self._check(Path(unquote(urlparse(ref).path)), kind, field)
        found = self._assets.get((ref, kind))
        if found is not None:
            if found.path is None:
                raise MediaFileError(f"{field}: asset {ref!r} has no {kind} file")
            return self._check(found.path, kind, field)
        path = Path(ref).expanduser()
        path = path if path.is_absolute() else self.base_dir / path
        if not path.exists() and _ID.match(ref) and "." not in ref:
            raise AssetNotFoundError(f"{field}: no {kind} asset with id {ref!r} in the library")
        return self._check(path, kind, field)

    def _check(self, path: Path, kind: str, field: str) -> Path:
        if not path.is_file():
            raise MediaFileError(f"{field}: file {path} does not exist")
        cap = SIZE_CAPS.get(kind)
        if cap and path.stat().st_size > cap:
            raise MediaFileError(f"{field}: file {path} is larger than the {cap // MB} MB allowed for {kind}")
        return path

    def _download(self, url: str, kind: str, field: str) -> Path:
        import httpx  # only the network path needs it

        suffix = Path(urlparse(url).path).suffix[:8]
        target = self.cache_dir / (hashlib.sha256(url.encode()).hexdigest()[:32] + suffix)
        if target.is_file():
            return target
        cap = SIZE_CAPS.get(kind, 1024 * MB)
        part = None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, part_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
            part = Path(part_name)
            with os.fdopen(fd, "wb") as f, httpx.stream("GET", url, timeout=DOWNLOAD_TIMEOUT,
                                                        follow_redirects=True) as r:
                if r.status_code != 200:
                    raise MediaFileError(f"{field}: download of {url} failed with HTTP {r.status_code}")
                size = 0
                for chunk in r.iter_bytes():
                    size += len(chunk)
                    if size > cap:
                        raise MediaFileError(f"{field}: {url} is larger than the {cap // MB} MB allowed for {kind}")
                    f.write(chunk)
            part.replace(target)  # atomic: concurrent downloads of one URL never mix their bytes
            return target
        except httpx.HTTPError as e:
            raise MediaFileError(f"{field}: cannot download {url} ({type(e).__name__}: {e})") from None
        except OSError as e:
            raise MediaFileError(f"{field}: cannot store the download of {url} in {target.parent} ({e})") from None
        finally:
            if part is not None:
                part.unlink(missing_ok=True)
