"""Dataset readers. Every reader raises only :class:`DataFormatError`."""

from embedstudio.data.errors import DataFormatError

__all__ = ["DataFormatError"]
