"""``wenyang bench NAME --data DIR --json OUT``: the public benchmarks."""
from __future__ import annotations

from pathlib import Path

from app.cli.common import command
from app.core.errors import WenyangError

NAMES = ("wikipedia", "mirflickr", "clothing")


def register(sub) -> None:
    p = command(sub, "bench", "Run a public benchmark (wikipedia, mirflickr, clothing): prints a table "
                              "and writes JSON.", run_bench, library=False)
    p.add_argument("name", choices=NAMES)
    p.add_argument("--data", type=Path, required=True, help="the data folder (e.g. ../shared/data)")
    p.add_argument("--json", type=Path, help="write the results here")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--bits", type=int, nargs="+", default=[16, 32, 64])
    p.add_argument("--photos", type=int, default=4000, help="clothing: photos in the subset")
    p.add_argument("--epochs", type=int, default=60, help="clothing: training epochs")
    p.add_argument("--plots", type=Path, help="wikipedia/mirflickr: folder for the PNG plots "
                                              "(default: next to --json, or ./NAME-plots)")


def run_bench(args) -> int:
    if args.name == "clothing":
        from app.services.bench_clothing import run_clothing_benchmark

        data = args.data / "clothing-cc0" if (args.data / "clothing-cc0").is_dir() else args.data
        if not (data / "images.csv").is_file():
            raise WenyangError(f"No clothing-cc0 data (images.csv) under {args.data}.")
        run_clothing_benchmark(data, args.json, n=args.photos, bits=args.bits[-1], seed=args.seeds[0],
                               epochs=args.epochs)
        return 0
    from app.evaluate.bench_public import run_benchmark

    run_benchmark(args.name, args.data, args.json, seeds=tuple(args.seeds), bits=tuple(args.bits),
                  plots_dir=args.plots)
    return 0
