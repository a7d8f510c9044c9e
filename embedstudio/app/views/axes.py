"""Axes that print the values they are given (cosines, losses, scores), never SI-scaled ones."""

from __future__ import annotations


def plain_numbers(axis) -> None:
    """Turn off pyqtgraph's SI prefix on ``axis`` for good. In pyqtgraph 0.14, ``enableAutoSIPrefix(False)``
    itself computes a prefix from the range at that moment and keeps it: a range below 1 became "x0.001" with
    ticks of -400..150 for cosines. The scale is reset here after disabling, so nothing rescales later."""
    axis.enableAutoSIPrefix(False)
    axis.autoSIPrefixScale = 1.0
    axis.labelUnitPrefix = ""
    axis._updateLabel()  # the label shows the unit prefix reset above
