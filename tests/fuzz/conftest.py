"""Fuzz tests: scratch files in one folder removed at the end, and a per-reader summary in the report."""

from __future__ import annotations

import pytest

from tests.fuzz import harness


@pytest.fixture(scope="session", autouse=True)
def _fuzz_scratch():
    yield
    harness.cleanup()


def pytest_terminal_summary(terminalreporter):
    if not harness.STATS:
        return
    terminalreporter.section("reader fuzzing")
    terminalreporter.write_line(f"{'reader':30s} {'inputs':>7s} {'rejected':>8s} {'accepted':>8s} "
                                f"{'crashes':>7s} {'hangs':>5s} {'slowest ms':>10s}")
    for name, s in harness.STATS.items():
        known = f"  ({s.known} known, see KNOWN_ISSUES)" if s.known else ""
        terminalreporter.write_line(f"{name:30s} {s.inputs:7d} {s.rejected:8d} {s.accepted:8d} {s.crashes:7d} "
                                    f"{s.hangs:5d} {s.slowest_s * 1000:10.1f}{known}")
