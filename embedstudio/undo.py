"""A bounded undo/redo history (plain Python, no Qt): steps that know how to undo and redo themselves, kept
within a number of steps and a number of bytes.

A step keeps references, never copies: undoing the removal of a 2 GB embedding needs the embedding object
itself, so the history holds it alive. That is why the history counts the bytes each step keeps alive and drops
its oldest steps beyond a budget (freeing what only they held)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable

MAX_STEPS = 20
MAX_BUDGET = 2 << 30  # bytes: a removed embedding bigger than this is freed at once, not kept for undo


def default_budget() -> int:
    """The bytes a history may keep alive: a quarter of this machine's memory, at most MAX_BUDGET."""
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not a POSIX system: assume a small machine
        ram = 4 << 30
    return int(min(ram // 4, MAX_BUDGET))


@dataclasses.dataclass(eq=False)
class Step:
    text: str  # what the step did, for a person: "remove sotu.vec" (menus read "Undo remove sotu.vec")
    undo: Callable[[], None]
    redo: Callable[[], None]
    undo_bytes: int = 0  # kept alive while it can be undone: what the step took out
    redo_bytes: int = 0  # kept alive while it can be redone: what undoing it took out
    undo_removes: bool = False  # undoing it takes items out (the window refuses that while training runs)
    redo_removes: bool = False


class UndoStack:
    """Steps done (undoable) and undone (redoable). Pushing a new step drops the redoable ones. Beyond ``limit``
    steps or ``budget`` bytes kept alive, the oldest steps go first, then the furthest redoable ones."""

    def __init__(self, limit: int = MAX_STEPS, budget: int | None = None):
        self.limit = int(limit)
        self.budget = default_budget() if budget is None else int(budget)
        self._done: list[Step] = []
        self._undone: list[Step] = []  # the next to redo last
        self._listeners: list[Callable[[], None]] = []
        self._applying = False

    # ------------------------------------------------------------------ what it holds
    def subscribe(self, callback: Callable[[], None]) -> None:
        self._listeners.append(callback)

    def _emit(self) -> None:
        for callback in list(self._listeners):
            callback()

    @property
    def undo_step(self) -> Step | None:
        return self._done[-1] if self._done else None

    @property
    def redo_step(self) -> Step | None:
        return self._undone[-1] if self._undone else None

    def __len__(self) -> int:
        return len(self._done) + len(self._undone)

    @property
    def held_bytes(self) -> int:
        """The bytes its steps keep alive (each object counted where the history alone holds it)."""
        return sum(s.undo_bytes for s in self._done) + sum(s.redo_bytes for s in self._undone)

    def fits(self, nbytes: int) -> bool:
        """Whether a step keeping ``nbytes`` alive can be kept at all."""
        return nbytes <= self.budget

    # ------------------------------------------------------------------ changing it
    def push(self, step: Step) -> bool:
        """Record a step just done. A step that alone exceeds the budget is not kept, and the steps before it
        are dropped too (undoing them across a change the history does not know would not restore their
        state); False then. Steps pushed while a step is being undone or redone are part of it: ignored."""
        if self._applying:
            return True
        self._undone.clear()
        if not self.fits(step.undo_bytes):
            self._done.clear()
            self._emit()
            return False
        self._done.append(step)
        self._trim()
        self._emit()
        return True

    def undo(self) -> Step | None:
        return self._move(self._done, self._undone, "undo")

    def redo(self) -> Step | None:
        return self._move(self._undone, self._done, "redo")

    def _move(self, source: list[Step], target: list[Step], how: str) -> Step | None:
        if not source or self._applying:
            return None
        step = source.pop()
        self._applying = True
        try:
            getattr(step, how)()
        except BaseException:
            self._done.clear()  # the state is not one any step knows: none can be applied safely
            self._undone.clear()
            raise
        else:
            target.append(step)
            self._trim()
        finally:
            self._applying = False
            self._emit()
        return step

    def clear(self) -> None:
        if self._done or self._undone:
            self._done.clear()
            self._undone.clear()
            self._emit()

    def _trim(self) -> None:
        while len(self) > self.limit or (len(self) and self.held_bytes > self.budget):
            (self._done if self._done else self._undone).pop(0)
