"""EmbedStudio: train, explore and audit embeddings."""

__version__ = "0.1.0"
