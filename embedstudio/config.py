"""Config is schema: frozen dataclasses whose fields carry help text, bounds and choices.

The training form in the app and the CLI's options are generated from these fields; checks run
at construction, so an invalid config never reaches a trainer.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Sequence


def param(
    default: Any,
    help: str,
    low: float | None = None,
    high: float | None = None,
    choices: Sequence[Any] | None = None,
    optional: bool = False,
):
    """A dataclass field with its schema: help text, inclusive bounds, allowed choices."""
    return dataclasses.field(
        default=default,
        metadata={"help": help, "low": low, "high": high, "choices": tuple(choices) if choices else None,
                  "optional": optional},
    )


class ConfigError(ValueError):
    """A config value outside its bounds or choices, or an inconsistent combination."""


@dataclasses.dataclass(frozen=True)
class ConfigBase:
    def __post_init__(self):
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            meta = f.metadata
            if value is None and meta.get("optional"):
                continue
            choices = meta.get("choices")
            if choices and value not in choices:
                raise ConfigError(
                    f"{f.name}={value!r} is not known; choose one of: {', '.join(map(str, choices))}"
                )
            if meta.get("low") is not None or meta.get("high") is not None:
                if not isinstance(value, (int, float)) or isinstance(value, bool):
                    raise ConfigError(f"{f.name} must be a number, got {value!r}")
                if isinstance(f.default, int) and not isinstance(f.default, bool) and not isinstance(value, int):
                    raise ConfigError(f"{f.name} must be a whole number, got {value!r}")
                if meta.get("low") is not None and value < meta["low"]:
                    raise ConfigError(f"{f.name}={value} is below its minimum {meta['low']}")
                if meta.get("high") is not None and value > meta["high"]:
                    raise ConfigError(f"{f.name}={value} is above its maximum {meta['high']}")
        self.check()

    def check(self) -> None:
        """Cross-field checks; subclasses override."""

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict):
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ConfigError(f"unknown option(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
        return cls(**values)

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    @classmethod
    def schema(cls) -> list[dict]:
        """One dict per field: name, type, default, help, low, high, choices (for forms and CLIs)."""
        out = []
        for f in dataclasses.fields(cls):
            out.append({"name": f.name, "type": f.type, "default": f.default, **f.metadata})
        return out
