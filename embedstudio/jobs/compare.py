"""Job: two embeddings compared over their shared vocabulary (:mod:`embedstudio.analysis.compare`), its
stages reported; the window's Compare view and ``embedstudio compare`` run it."""

from __future__ import annotations

from embedstudio.analysis.compare import DEFAULT_K, DEFAULT_LIMIT


def compare_job(a, b, name_a: str = "A", name_b: str = "B", k: int = DEFAULT_K, limit: int | None = DEFAULT_LIMIT):
    from embedstudio.analysis.compare import compare
    from embedstudio.jobs.stage import Stage, staged

    return (yield from staged(lambda report: compare(
        a, b, name_a, name_b, k=k, limit=limit,
        progress=lambda share, text: report(Stage(f"compare: {text}", share)))))
