"""The test clocks a context's `clock` is swapped for."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

SANTIAGO = ZoneInfo("America/Santiago")
PAYMENT_DAY = datetime(2027, 3, 20, 10, 0, tzinfo=SANTIAGO)  # 20-03-2027 10:00, the worlds' usual "now"


class Clock:
    """A clock that stands still at `now` until a test sets it (default: 20-03-2027 10:00 in Chile)."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or PAYMENT_DAY

    def __call__(self) -> datetime:
        return self.now


class StepClock:
    """The signing clock: real time plus one TOTP step (30 s) per code handed out, so two codes
    in a row never share a step."""

    def __init__(self) -> None:
        self.steps = 0

    def __call__(self) -> datetime:
        return datetime.now(SANTIAGO) + timedelta(seconds=30 * self.steps)


class EpochClock:
    """A clock of epoch seconds (as `time.time` gives them) that moves only when a test moves it."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
