"""`smartlive feed bilibili|tiktok|replay ...`: the flags -> a source and run.py (cli.py parses)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from render.errors import MediaFileError, SpecError
from render.feeds.report import FeedError
from render.feeds.status import summary


def _cookie(args) -> str:
    if args.cookie_file:
        try:
            return Path(args.cookie_file).read_text(encoding="utf-8").strip()
        except OSError as e:
            raise MediaFileError(f"--cookie-file {args.cookie_file}: cannot be read ({e.strerror or e})") from None
    return os.environ.get("SMARTLIVE_BILIBILI_COOKIE", "").strip()


def source_for(args):
    kind, target = args.file, args.target
    if not target:
        raise SpecError(f"feed {kind}: needs {'a room id' if kind == 'bilibili' else 'a @user'}")
    if kind == "bilibili":
        from render.feeds.bilibili import Bilibili

        if not target.isdigit():
            raise SpecError(f"feed bilibili: room id {target!r} must be a number")
        return Bilibili(int(target), cookie=_cookie(args), server=args.server)
    from render.feeds.tiktok import TikTok

    return TikTok(target)


def platform_feed(args) -> int:
    from render.feeds.run import run_platform, run_replay

    try:
        if args.file == "replay":
            if not args.target:
                raise SpecError("feed replay: needs the recording to replay")
            if not args.url:
                raise SpecError("feed replay: --url is needed (the job's live_event_report_url)")
            stats = run_replay(args.target, url=args.url, speed=args.speed, quiet=args.quiet)
        else:
            if not args.url and not args.record:
                raise SpecError(f"feed {args.file}: --url (report) or --record (keep), or both")
            stats = run_platform(source_for(args), url=args.url, record=args.record, silence=args.silence,
                                 quiet=args.quiet)
    except FeedError as e:
        print(f"feed: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # before the feed's own handler was in place
        return 130
    print(summary(stats))
    return 0
