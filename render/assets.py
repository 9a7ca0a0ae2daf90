"""Asset IDs and URLs -> local files.

A library folder holds `manifest.json`: {"assets": [{"id", "kind", "file", "meta"}]}, with
`file` relative to the folder (or absent: e.g. a voice, or a model drawn as a placeholder).
Kinds: IMAGE, VIDEO, AUDIO, HUMAN_MODEL, VOICE, SUBTITLE, ROBOT (an INTELLIGENT_REPLY robot, a JSON
file: render/interaction/robot.py); one id may have several kinds.
Folders searched: the package's render/data/library, then $SMARTLIVE_ASSETS (os.pathsep list),
then any given with --assets. A reference in a room is an asset id, a local path (relative
to the room file), a file:// URL or an http(s):// URL (downloaded into a cache, render.downloads).

What a room may reference is a MediaPolicy, decided here and nowhere else: the default (the
command line: the user owns the files) allows any local file and URL; rooms that arrive over the
API get MediaPolicy.restricted(...): asset ids, files under the server's media roots, and http(s)
URLs to public addresses. The API's job workers read it from $SMARTLIVE_MEDIA_POLICY.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from render import downloads
from render.errors import AssetNotFoundError, MediaFileError, SpecError

PROJECT_LIBRARY = Path(__file__).resolve().parent / "data" / "library"  # shipped in the wheel
KINDS = ("IMAGE", "VIDEO", "AUDIO", "HUMAN_MODEL", "VOICE", "SUBTITLE", "ROBOT")
MB = 1024 * 1024
# The spec's caps (audio under 100 MB, SRT under 1 MB) and sane ones for pictures and video.
SIZE_CAPS = {"AUDIO": 100 * MB, "SUBTITLE": 1 * MB, "IMAGE": 30 * MB, "VIDEO": 1024 * MB,
             "HUMAN_MODEL": 30 * MB}
_ID = re.compile(r"^[A-Za-z0-9_\-]+$")
POLICY_ENV = "SMARTLIVE_MEDIA_POLICY"


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


@dataclass(frozen=True)
class MediaPolicy:
    """What the media references of a room may name. The default allows everything."""

    local_files: bool = True  # any local path and file:// URL; False: only under media_roots
    media_roots: tuple[Path, ...] = ()  # folders whose files rooms may name (relative or absolute)
    private_urls: bool = True  # http(s) to loopback, private, link-local (metadata) addresses
    url_allow_hosts: tuple[str, ...] = ()  # "host:port" taken as public (--allow-private-urls pairs)
    private_nets: tuple[str, ...] = ()  # CIDRs whose addresses are allowed (--allow-private-urls)
    private_any: bool = False  # every non-public address but cloud metadata (the bare flag)

    @classmethod
    def restricted(cls, media_roots=(), *, allow_private_urls=False, url_allow_hosts=()) -> MediaPolicy:
        """The API's policy: asset ids, files under `media_roots`, public http(s) URLs, and the
        private ones `allow_private_urls` names (True: all but cloud metadata; or CIDRs and
        host:port pairs, render.private_urls)."""
        from render.private_urls import parse_allow

        allow = parse_allow(allow_private_urls)
        return cls(False, tuple(Path(r).resolve() for r in media_roots), False,
                   tuple(url_allow_hosts) + allow.hosts, allow.nets, allow.any_private)

    def private_ok(self, ip: str) -> bool:
        """May a URL resolving to this non-public address be used?"""
        from render.private_urls import private_ok

        return private_ok(ip, self.private_nets, self.private_any)

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "media_roots": [str(r) for r in self.media_roots]})

    @classmethod
    def from_json(cls, text: str) -> MediaPolicy:
        d = json.loads(text)
        return cls(bool(d["local_files"]), tuple(Path(r) for r in d["media_roots"]), bool(d["private_urls"]),
                   tuple(d.get("url_allow_hosts") or ()), tuple(d.get("private_nets") or ()),
                   bool(d.get("private_any")))

    @classmethod
    def from_env(cls, env=None) -> MediaPolicy:
        """$SMARTLIVE_MEDIA_POLICY (set by the API for its workers), else the default."""
        text = (os.environ if env is None else env).get(POLICY_ENV)
        return cls.from_json(text) if text else cls()

    def local_file(self, ref: str, path: Path, field: str) -> Path:
        """The file a path reference names, if the policy allows it. Under media roots a path
        (relative to a root, or absolute) must stay inside one after symlinks are resolved; the
        check comes before anything is looked up, so a refused path tells nothing about what exists."""
        if self.local_files:
            return path
        inside = [c for c in ((root / path).resolve() for root in self.media_roots)
                  if any(c.is_relative_to(root) for root in self.media_roots)]
        for candidate in inside:
            if candidate.exists():
                return candidate
        if inside:
            raise MediaFileError(f"{field}: {ref} is not a file in the server's media folders")
        raise SpecError(f"{field}: {ref} is a local file outside the server's media folders; rooms created "
                        "over the API may name asset ids, files under the server's --media-root folders "
                        "and public http(s) URLs")


class AssetLibrary:
    """Resolves asset ids and URLs of one room; `base_dir` anchors relative paths."""

    def __init__(self, folders: list[Path], *, base_dir: Path | None = None, cache_dir: Path | None = None,
                 policy: MediaPolicy | None = None, cache_max_bytes: int = downloads.CACHE_MAX_BYTES):
        self.folders = [Path(f) for f in folders]
        self.base_dir = Path(base_dir) if base_dir else Path.cwd()
        self.cache_dir = Path(cache_dir) if cache_dir else cache_root() / "downloads"
        self.policy = policy or MediaPolicy()
        self.cache_max_bytes = cache_max_bytes
        self._fetched: dict[str, Path] = {}
        self._assets: dict[tuple[str, str], Asset] = {}
        for folder in self.folders:
            for a in read_manifest(folder):
                self._assets.setdefault((a.id, a.kind), a)

    @classmethod
    def default(cls, base_dir: Path | None = None, extra_dirs=(), policy: MediaPolicy | None = None) -> AssetLibrary:
        """The project library, $SMARTLIVE_ASSETS and `extra_dirs`; the policy given, else
        $SMARTLIVE_MEDIA_POLICY's, else the permissive default."""
        env = [p for p in os.environ.get("SMARTLIVE_ASSETS", "").split(os.pathsep) if p]
        return cls([PROJECT_LIBRARY, *env, *extra_dirs], base_dir=base_dir, policy=policy or MediaPolicy.from_env())

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
        try:
            return self._resolve(ref, kind, field)
        except OSError as e:  # a name the file system refuses (a component over 255 bytes...)
            raise MediaFileError(f"{field}: {ref[:80]!r}{'...' if len(ref) > 80 else ''} cannot name a file "
                                 f"here ({e.strerror or e})") from None

    def _resolve(self, ref: str, kind: str, field: str) -> Path:
        if not ref:
            raise MediaFileError(f"{field}: empty reference")
        if "\x00" in ref:
            raise SpecError(f"{field}: a media reference cannot contain a NUL character")
        scheme = urlparse(ref).scheme.lower()
        if scheme in ("http", "https"):
            if ref not in self._fetched:  # once per render: one revalidation, not one per layer
                limits = downloads.Limits(SIZE_CAPS.get(kind, 1024 * MB), cache_max_bytes=self.cache_max_bytes)
                self._fetched[ref] = downloads.fetch(ref, self.cache_dir, kind=kind, field=field,
                                                     policy=self.policy, limits=limits)
            return self._check(self._fetched[ref], kind, field)
        if scheme == "file":
            return self._check(self.policy.local_file(ref, Path(unquote(urlparse(ref).path)), field), kind, field)
        found = self._assets.get((ref, kind))
        if found is not None:
            if found.path is None:
                raise MediaFileError(f"{field}: asset {ref!r} has no {kind} file")
            return self._check(found.path, kind, field)
        if not self.policy.local_files:
            if len(scheme) > 1:  # data:, ftp:... (one letter: a drive)
                raise SpecError(f"{field}: {ref} is not an asset id, a media file or an http(s) URL")
            try:
                return self._check(self.policy.local_file(ref, Path(ref), field), kind, field)
            except MediaFileError:
                if _ID.match(ref) and "." not in ref:
                    raise AssetNotFoundError(f"{field}: no {kind} asset with id {ref!r} in the library") from None
                raise
        path = Path(ref).expanduser()
        path = path if path.is_absolute() else self.base_dir / path
        if not path.exists() and _ID.match(ref) and "." not in ref:
            raise AssetNotFoundError(f"{field}: no {kind} asset with id {ref!r} in the library")
        return self._check(path, kind, field)

    def check_url(self, ref: str, field: str) -> None:
        """An http(s) reference the policy allows (its host resolved, never contacted; a name
        that does not resolve now is checked again when the room renders)."""
        downloads.check_url(ref, field, self.policy, must_resolve=False)

    def _check(self, path: Path, kind: str, field: str) -> Path:
        if not path.is_file():
            raise MediaFileError(f"{field}: file {path} does not exist")
        cap = SIZE_CAPS.get(kind)
        if cap and path.stat().st_size > cap:
            raise MediaFileError(f"{field}: file {path} is larger than the {cap // MB} MB allowed for {kind}")
        return path
