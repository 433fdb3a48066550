"""The Qt binding must keep reference counts straight, or the window aborts the interpreter."""
from __future__ import annotations

import pytest


@pytest.mark.binding_check
def test_the_qt_binding_does_not_leak_references(binding_problem):
    assert binding_problem is None, binding_problem
