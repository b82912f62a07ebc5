"""Progress for long cells: which run is training, how long it has taken, how long is left.

:func:`mmtutor.training.compare_models` and :func:`mmtutor.training.compare_frozen_fusion`
train many models in one cell (a minute or more); they report each run through
:func:`steps`. In a Jupyter kernel the progress is one display that is updated in place
and emptied when the work ends, so what the notebook keeps (and what the test suite
compares) is the same whether or not progress was shown:

- the display starts empty and ends empty: an output without data, which nbval's
  comparison skips, and which a notebook run with progress turned off (no display at
  all) matches;
- nbval records a display as first published and ignores its updates; nbclient and
  JupyterLab apply the updates and store the last one. Both see an empty display.

Outside a kernel the progress is one line on a terminal's stderr, overwritten in place;
with no terminal nothing is written. ``MMTUTOR_PROGRESS=0`` turns progress off.
"""

from __future__ import annotations

import html
import os
import sys
import time
from contextlib import contextmanager

__all__ = ["Steps", "steps", "describe", "enabled"]

_OPEN: list[Steps] = []


def enabled() -> bool:
    """False when the environment variable ``MMTUTOR_PROGRESS`` is ``0``, ``false`` or ``no``.

    Example:
        >>> from unittest import mock
        >>> with mock.patch.dict("os.environ", {"MMTUTOR_PROGRESS": "0"}):
        ...     print(enabled())
        False
    """
    return os.environ.get("MMTUTOR_PROGRESS", "1").strip().lower() not in {"0", "false", "no"}


def describe(label: str, step: int, total: int, what: str, elapsed: float) -> str:
    """The progress line: step ``step`` of ``total`` is running, ``elapsed`` seconds so far.

    The time left is the mean time of the finished steps times the steps still to run.

    Example:
        >>> describe("compare_models", 3, 6, "gated, seed 0", elapsed=40.0)
        'compare_models: gated, seed 0 (run 3 of 6), 40 s elapsed, about 1 min left'
        >>> describe("compare_models", 1, 6, "concat, seed 0", elapsed=0.0)
        'compare_models: concat, seed 0 (run 1 of 6), 0 s elapsed'
    """
    if not 1 <= step <= total:
        raise ValueError(f"step must be in [1, total={total}], got {step}")
    text = f"{label}: {what} (run {step} of {total}), {_duration(elapsed)} elapsed"
    if step > 1:
        text += f", about {_duration(elapsed / (step - 1) * (total - step + 1))} left"
    return text


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 60 else f"{seconds / 60:.0f} min"


class Steps:
    """A counted sequence of steps; :meth:`next` announces the step about to run.

    Made by :func:`steps`, which also closes it. A ``Steps`` opened while another is open
    forwards its steps to the outer one (so ``compare_frozen_fusion`` shows one line for all
    the ``compare_models`` calls it makes).
    """

    def __init__(self, total: int, label: str, parent: Steps | None = None):
        if isinstance(total, bool) or not isinstance(total, int) or total < 1:
            raise ValueError(f"total must be a positive integer, got {total!r}")
        self.total, self.label, self.parent = total, label, parent
        self.done = 0
        self._start = time.perf_counter()
        self._handle = None
        self._terminal = False
        if parent is None and enabled():
            self._open_display()

    def next(self, what: str = "") -> None:
        """Step ``what`` starts now (the one before it has finished)."""
        if self.parent is not None:
            self.parent.next(what)
            return
        self.done = min(self.done + 1, self.total)
        text = describe(self.label, self.done, self.total, what, time.perf_counter() - self._start)
        if self._handle is not None:
            self._handle.update(
                {
                    "text/plain": text,
                    "text/html": f"<progress value='{self.done - 1}' max='{self.total}'>"
                    f"</progress> <code>{html.escape(text)}</code>",
                },
                raw=True,
            )
        elif self._terminal:
            sys.stderr.write(f"\r{text}\x1b[K")
            sys.stderr.flush()

    def close(self) -> None:
        """Remove the progress line: the display is emptied, the terminal line erased."""
        if self._handle is not None:
            self._handle.update({}, raw=True)
            self._handle = None
        elif self._terminal:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self._terminal = False

    def _open_display(self) -> None:
        ipython = sys.modules.get("IPython")  # never imported here: only if already loaded
        shell = ipython.get_ipython() if ipython is not None else None
        if shell is not None and getattr(shell, "kernel", None) is not None:
            from IPython.display import display

            self._handle = display({}, raw=True, display_id=True)
        else:
            self._terminal = bool(getattr(sys.stderr, "isatty", lambda: False)())


@contextmanager
def steps(total: int, label: str):
    """Show progress over ``total`` steps while the ``with`` block runs; see :class:`Steps`.

    Example:
        >>> with steps(2, "demo") as bar:
        ...     for name in ["first", "second"]:
        ...         bar.next(name)
        >>> (bar.done, bar.total)
        (2, 2)
    """
    bar = Steps(total, label, parent=_OPEN[-1] if _OPEN else None)
    _OPEN.append(bar)
    try:
        yield bar
    finally:
        _OPEN.remove(bar)
        bar.close()
