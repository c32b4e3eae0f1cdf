"""Progress of a whole-input job (``validate(path)``, ``convert()``), as the progress callback
sees it.

The callback runs on the thread that called the job, every ``progress_interval`` seconds while the
engine works and once with the final figures. Returning ``False`` from it stops the job at its next
batch (the result says ``cancelled``; ``convert()`` then leaves its destination as it was); an
exception raised in it stops the job too and is raised by the call. Ctrl-C (KeyboardInterrupt)
stops a job whether or not there is a callback.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Optional

__all__ = ["Progress"]


class Progress(NamedTuple):
    records: int
    """Records read so far (delivered or skipped)."""
    bytes: int
    """Input bytes read so far (0 for ``validate(records)``)."""
    total_bytes: Optional[int]
    """The input's size, when known (None for a pipe, standard input or Python records)."""
    seconds: float
    """Since the job started."""

    @property
    def fraction(self) -> Optional[float]:
        """How much of the input has been read, from 0 to 1, when its size is known."""
        if not self.total_bytes:
            return None
        return min(1.0, self.bytes / self.total_bytes)


def _adapt(progress: Optional[Callable[[Progress], Any]]) -> Optional[Callable[..., Any]]:
    """The engine calls with (records, bytes, total_bytes, seconds); the caller's callback gets a Progress."""
    if progress is None:
        return None
    if not callable(progress):
        raise TypeError("progress must be a callable taking a marcscope.Progress, or None")
    return lambda records, done, total, seconds: progress(Progress(records, done, total, seconds))
