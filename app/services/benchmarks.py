"""The public benchmarks (Wikipedia, MIRFLICKR-25K) as ``wenyang bench`` runs them; their
harnesses live in ``app.bench`` and train through ``app.ml`` directly, as the papers do."""
from __future__ import annotations


def run_public_benchmark(name: str, data_dir, json_out=None, seeds=(0, 1, 2), bits=(16, 32, 64),
                         plots_dir=None) -> dict:
    """Train and measure every (method, bits, seed) of benchmark ``name``; see
    ``app.bench.public.run_benchmark``."""
    from app.bench.public import run_benchmark

    return run_benchmark(name, data_dir, json_out, seeds=tuple(seeds), bits=tuple(bits), plots_dir=plots_dir)
