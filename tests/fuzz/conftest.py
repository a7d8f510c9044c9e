"""Fuzz tests: scratch files in one folder removed at the end, and a per-reader summary in the report."""

from __future__ import annotations

import pytest

from tests.fuzz import harness


@pytest.fixture(scope="session", autouse=True)
def _fuzz_scratch():
    yield
    harness.cleanup()


def _mb(value) -> str:
    return "n/a" if value is None else f"{value / 1e6:.1f}"


def pytest_terminal_summary(terminalreporter):
    if not harness.STATS:
        return
    terminalreporter.section("reader fuzzing")
    terminalreporter.write_line(f"{'reader':30s} {'inputs':>7s} {'rejected':>8s} {'accepted':>8s} "
                                f"{'crashes':>7s} {'hangs':>5s} {'slowest ms':>10s} {'peak MB max':>11s} "
                                f"{'median':>6s}")
    for name, s in harness.STATS.items():
        known = f"  ({s.known} known, see KNOWN_ISSUES)" if s.known else ""
        peak_max, peak_median = s.peak_summary()
        terminalreporter.write_line(f"{name:30s} {s.inputs:7d} {s.rejected:8d} {s.accepted:8d} {s.crashes:7d} "
                                    f"{s.hangs:5d} {s.slowest_s * 1000:10.1f} {_mb(peak_max):>11s} "
                                    f"{_mb(peak_median):>6s}{known}")
    for name, s in harness.STATS.items():
        for what, count in s.notes.items():
            terminalreporter.write_line(f"{name}: {what}: {count} inputs")
