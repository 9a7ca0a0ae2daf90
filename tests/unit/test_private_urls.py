"""serve --allow-private-urls takes CIDRs and host:port pairs; cloud metadata stays refused unless
named; the server says at start what it opened (issue 24 item 11). Addresses only: nothing connects."""
from __future__ import annotations

import pytest

from render.api.server import make_settings, startup_warnings
from render.assets import MediaPolicy
from render.cli import build_parser
from render.downloads import check_url
from render.errors import SpecError
from render.private_urls import parse_allow


def allowed(url: str, allow) -> bool:
    try:
        check_url(url, "image_url", MediaPolicy.restricted(allow_private_urls=allow))
        return True
    except SpecError:
        return False


def test_cidrs_and_host_port_pairs_open_exactly_what_they_name():
    assert not allowed("http://127.0.0.1:8080/a.png", ())
    assert allowed("http://127.0.0.1:8080/a.png", ("127.0.0.0/8",))
    assert not allowed("http://127.0.0.1:8080/a.png", ("10.0.0.0/8",))
    assert allowed("http://10.1.2.3/a.png", ("10.0.0.0/8",))
    assert allowed("http://127.0.0.1:8080/a.png", ("127.0.0.1:8080",))
    assert not allowed("http://127.0.0.1:8081/a.png", ("127.0.0.1:8080",))  # only that port
    assert allowed("http://[::1]:8080/a.png", ("[::1]:8080",)) and allowed("http://[::1]/a.png", ("::1",))


def test_metadata_addresses_stay_refused_unless_named():
    for meta in ("http://169.254.169.254/latest/meta-data/", "http://100.100.100.200/latest",
                 "http://[fd00:ec2::254]/latest", "http://[::ffff:169.254.169.254]/"):
        assert not allowed(meta, True), meta  # the bare flag: every private address but these
    assert allowed("http://192.168.1.5/a.png", True) and allowed("http://127.0.0.1/a.png", True)
    assert allowed("http://169.254.169.254/latest", ("169.254.169.254/32",))  # named: the operator's choice
    assert not allowed("http://169.254.169.254/latest", ("127.0.0.0/8",))


def test_the_flag_parses_and_bad_values_name_it(tmp_path):
    args = build_parser().parse_args(["serve", "--allow-private-urls", "10.0.0.0/8",
                                      "--allow-private-urls", "media.lan:8080", "--allow-private-urls"])
    assert args.allow_private_urls == ["10.0.0.0/8", "media.lan:8080", "*"]
    allow = parse_allow(args.allow_private_urls)
    assert allow.nets == ("10.0.0.0/8",) and allow.hosts == ("media.lan:8080",) and allow.any_private
    for bad in ("10.0.0.0/33", "media.lan", "host:99999", "http://x:80"):
        with pytest.raises(SpecError, match="--allow-private-urls"):
            make_settings(tmp_path / "db", no_auth=True, env={}, allow_private_urls=(bad,))


def test_the_server_warns_at_start_what_it_opened(tmp_path):
    s = make_settings(tmp_path / "db", no_auth=True, env={}, allow_private_urls=("10.0.0.0/8", "127.0.0.1:9"))
    assert s.media_policy().private_nets == ("10.0.0.0/8",) and "127.0.0.1:9" in s.media_policy().url_allow_hosts
    (warning,) = startup_warnings(s)
    assert "--allow-private-urls" in warning and "10.0.0.0/8" in warning and "127.0.0.1:9" in warning
    assert startup_warnings(make_settings(tmp_path / "db", no_auth=True, env={})) == []
    assert MediaPolicy.from_json(s.media_policy().to_json()) == s.media_policy()  # the workers get the same
