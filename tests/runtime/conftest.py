"""Run torch single-threaded here: the test networks are tiny, and on a busy two-core
machine two OpenMP threads fighting over the cores made tiny training runs ~5× slower."""
from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
