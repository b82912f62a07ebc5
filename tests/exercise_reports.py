"""Assertions on a checker's report, shared by the tests of mmtutor.exercises' checkers."""


def accepted(report):
    """The report of a right answer: every check passed, and it says so."""
    assert report.passed, repr(report)
    assert "FAIL" not in repr(report) and "Well done." in repr(report)


def rejected(report, case, hint=""):
    """The report of a wrong answer: ``case`` failed, and ``hint`` is in what it prints."""
    assert not report.passed, repr(report)
    assert any(case in failed for failed in report.failed), (case, repr(report))
    assert hint in repr(report), (hint, repr(report))
