"""Viewer feeds: platform comment readers -> the job's live_event_report_url (`smartlive feed`).

    events.py        FeedEvent: one viewer event as a platform gave it (type, content, key)
    report.py        Reporter: batches of <= 100 to the report URL; honours accepted / 429 Retry-After
    lines.py         JSON lines (a file, stdin, any collector) -> the Reporter
    follow.py        a platform source kept running: reconnect, silence timeout, duplicates, status
    record.py        --record FILE (a timeline with `at`) and `feed replay FILE --speed X`
    status.py        the counters and the status line (pure)
    bilibili_wire.py Bilibili's danmaku packets (pure codec)
    bilibili_map.py  Bilibili's commands -> FeedEvents (pure)
    bilibili.py      the Bilibili client (room init + danmaku WebSocket)
    tiktok.py        TikTok through TikTokLive (the [tiktok] extra)
"""
