"""The checker machinery: a report of cases, each PASS or FAIL with a hint."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

__all__ = ["CheckReport", "close", "require_callable", "run_checks"]


@dataclass
class CheckReport:
    """What a checker found: ``(case, passed, hint)`` per case, in order."""

    name: str
    cases: list[tuple[str, bool, str]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(ok for _, ok, _ in self.cases)

    @property
    def failed(self) -> list[str]:
        return [case for case, ok, _ in self.cases if not ok]

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        done = sum(ok for _, ok, _ in self.cases)
        lines = [f"{self.name}: {done} of {len(self.cases)} checks passed"]
        for case, ok, hint in self.cases:
            lines.append(
                f"  {'PASS' if ok else 'FAIL'}  {case}" + ("" if ok else f"\n        {hint}")
            )
        if self.passed:
            lines.append("  Well done.")
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython shows the report as text
        printer.text(repr(self))


def run_checks(name: str, cases: list[tuple[str, Callable[[], str | None]]]) -> CheckReport:
    """Run each case in order: it returns None when it passes, or a hint; an exception in the
    learner's code fails the case and names the exception."""
    report = CheckReport(name)
    for description, case in cases:
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the report says what went wrong
                hint = case()
        except Exception as exc:  # noqa: BLE001 - any error in learner code is a failed case
            hint = f"your code raised {type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
        report.cases.append((description, hint is None, hint or ""))
    return report


def close(got, expected, atol: float = 1e-5) -> bool:
    """Same shape and equal within ``atol`` (absolute) and 1e-4 (relative)."""
    got = np.asarray(got, dtype=float)
    expected = np.asarray(expected, dtype=float)
    return got.shape == expected.shape and bool(np.allclose(got, expected, atol=atol, rtol=1e-4))


def require_callable(fn, what: str) -> None:
    """A clear error when a learner passes a result instead of their function."""
    if not callable(fn):
        raise TypeError(f"pass your {what} itself (a function or class), got {type(fn).__name__}")
