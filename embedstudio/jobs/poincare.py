"""The Poincaré job: embeddings of a hierarchy in the Poincaré ball (trained there or on the Lorentz
hyperboloid, as ``cfg.model`` says; the snapshots and the result are ball coordinates either way), live on the disk."""

from __future__ import annotations

from embedstudio.jobs.live import CheckpointMailbox, live_training


def poincare_job(hierarchy, cfg, mailbox: CheckpointMailbox, live: bool = True):
    """Job: Poincaré embeddings of ``hierarchy``; yields (progress, snapshot vectors or None: the disk draws
    them as they are); returns the Embedding."""
    from embedstudio.train.poincare import PoincareTrainer

    trainer = PoincareTrainer(cfg)
    yield from live_training(trainer, hierarchy, mailbox, snapshots=live)
    return trainer.embedding()
