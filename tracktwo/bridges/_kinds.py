"""Actor kinds, tie channels and statuses (tracktwo/taxonomy/data/actor_kinds.toml)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tracktwo._errors import ConfigError, InputError

__all__ = ["DECLINED", "DOORS_TRACKS", "STATUSES", "Vocabulary", "load_vocabulary"]

# "declined": a proposal that was refused; it is never counted as a tie (docs/scorecard.md)
STATUSES = ("proposed", "active", "dormant", "ended", "declined")
DECLINED = "declined"
# whose actors may open doors (doors/_profiles.py): civil society, and cities and provinces,
# which left the people track for their own, local government, and keep their open doors
DOORS_TRACKS = ("people", "local")
_TRACKS = ("official", "local", "people", "other")


@dataclass(frozen=True)
class Vocabulary:
    kinds: dict[str, str]  # kind -> track
    labels: dict[str, str]
    channels: tuple[str, ...]
    statuses: tuple[str, ...] = STATUSES

    def track(self, kind: str) -> str:
        return self.kinds[self.kind(kind)]

    def kind(self, kind: str) -> str:
        chosen = kind.strip().lower()
        if chosen not in self.kinds:
            raise InputError(
                f"unknown actor kind {kind!r}; one of: {', '.join(sorted(self.kinds))}"
            )
        return chosen

    def channel(self, channel: str) -> str:
        chosen = channel.strip().lower().replace(" ", "_").replace("-", "_")
        if chosen not in self.channels:
            raise InputError(f"unknown channel {channel!r}; one of: {', '.join(self.channels)}")
        return chosen

    def status(self, status: str) -> str:
        chosen = status.strip().lower()
        if chosen not in self.statuses:
            raise InputError(f"unknown status {status!r}; one of: {', '.join(self.statuses)}")
        return chosen


def _builtin() -> Path:
    return Path(__file__).parents[1] / "taxonomy" / "data" / "actor_kinds.toml"


@lru_cache(maxsize=4)
def _load(path: str) -> Vocabulary:
    try:
        with open(path, "rb") as handle:
            doc = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the actor kinds: {exc}") from exc
    kinds, labels = {}, {}
    for name, spec in doc.get("kinds", {}).items():
        if spec.get("track") not in _TRACKS:
            raise ConfigError(f"{path}: kinds.{name}.track must be one of {', '.join(_TRACKS)}")
        kinds[name] = spec["track"]
        labels[name] = spec.get("label", name)
    channels = tuple(doc.get("channels", {}).get("names", []))
    if not kinds or not channels:
        raise ConfigError(f"{path}: needs [kinds] and [channels]")
    statuses = tuple(doc.get("statuses", {}).get("names", STATUSES))
    unknown = sorted(set(statuses) - set(STATUSES))
    if unknown:  # the effective-status rule (_status.py) knows these and no others
        raise ConfigError(f"{path}: statuses.names: {', '.join(unknown)} not one of {STATUSES}")
    return Vocabulary(kinds, labels, channels, statuses)


def load_vocabulary(override: str | os.PathLike[str] | None = None) -> Vocabulary:
    """The built-in vocabulary, or actor_kinds.toml from ``override`` / $TRACKTWO_TAXONOMY."""
    folder = override or os.environ.get("TRACKTWO_TAXONOMY")
    if folder and (Path(folder) / "actor_kinds.toml").exists():
        return _load(str(Path(folder) / "actor_kinds.toml"))
    return _load(str(_builtin()))
