"""Re-exported from :mod:`embedstudio.errors`, where the error type lives beside the storage and
vectors modules that raise it too (the readers import it from here, as they always have)."""

from embedstudio.errors import DataFormatError

__all__ = ["DataFormatError"]
