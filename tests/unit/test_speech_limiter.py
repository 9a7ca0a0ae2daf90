"""Limiter and frame-locked mix on synthetic signals (no files)."""
import numpy as np
import pytest

from render.audio import CEILING, Limiter, Mix, _sliding_min, limit
from render.speech.clip import speech_levels

DBFS_1 = 10 ** (-1 / 20)


def test_sliding_min_matches_naive():
    rng = np.random.default_rng(1)
    a = rng.random(1000)
    for w in (1, 2, 7, 241):
        naive = np.array([a[k:k + w].min() for k in range(len(a) - w + 1)])
        assert np.array_equal(_sliding_min(a, w), naive)


def test_limit_keeps_peaks_under_minus_1_dbfs_and_quiet_parts_untouched():
    t = np.arange(48000) / 48000
    x = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    x[20000:20100] *= 6  # a burst at 1.8
    y = limit(x)
    assert np.abs(y).max() <= CEILING < DBFS_1
    assert np.allclose(y[:15000], x[:15000])  # far before the burst
    assert np.allclose(y[-1000:], x[-1000:])  # recovered after release


def test_blockwise_limiter_equals_whole_signal():
    rng = np.random.default_rng(2)
    x = (rng.standard_normal(48000) * 0.6).astype(np.float32)
    whole = limit(x)
    lim, spf = Limiter(), 1920
    ext = np.concatenate([x, np.zeros(lim.la, np.float32)])
    blocks = [lim.process(ext[s:s + spf + lim.la]) for s in range(0, 48000, spf)]
    assert np.allclose(np.concatenate(blocks), whole, atol=1e-6)


def test_mix_blocks_are_exact_and_bed_loops_sample_accurately():
    bed = np.linspace(-0.5, 0.5, 1000, dtype=np.float32)
    mix = Mix(25, duck=1.0)
    mix.add_bed(bed, start=0, gain=1.0)
    out = np.concatenate([mix.block(i) for i in range(10)])
    assert all(len(mix.block(i)) == 1920 for i in range(10, 12))
    assert np.allclose(out, np.tile(bed, 20)[: 19200])


def test_mix_ducks_bed_under_voice():
    mix = Mix(25, duck=0.5)
    mix.add_bed(np.full(4800, 0.2, np.float32), gain=1.0)
    mix.add(np.zeros(1920 * 5, np.float32), at=1920 * 10)
    levels = [float(np.abs(mix.block(i)).mean()) for i in range(20)]
    assert abs(levels[0] - 0.2) < 1e-6 and abs(levels[12] - 0.1) < 1e-6 and abs(levels[19] - 0.2) < 1e-6


def test_speech_levels_zero_in_silence():
    x = np.zeros(48000, np.float32)
    x[9600:19200] = 0.3 * np.sin(np.arange(9600) / 5)
    lv = speech_levels(x, 25)
    assert len(lv) == 25 and lv[0] == 0 and lv[7] > 0.9 and lv[-1] == 0


def test_set_gain_ramps_over_one_frame():
    mix = Mix(25, duck=1.0)
    src = mix.add_bed(np.full(1000, 0.5, np.float32), gain=1.0)
    assert np.allclose(mix.block(0), 0.5)
    mix.set_gain(src, 0.2)
    b = mix.block(1)
    assert b[0] == pytest.approx(0.5) and b[-1] == pytest.approx(0.1, abs=1e-3) and np.all(np.diff(b) <= 1e-7)
    assert np.allclose(mix.block(2), 0.1)
