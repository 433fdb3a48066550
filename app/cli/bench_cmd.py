"""``wenyang bench NAME --data DIR --json OUT``: the public benchmarks."""
from __future__ import annotations

from pathlib import Path

from app.cli.common import command, whole
from app.core.errors import WenyangError

NAMES = ("wikipedia", "mirflickr", "clothing", "backlog")


def register(sub) -> None:
    p = command(sub, "bench", "Run a public benchmark (wikipedia, mirflickr, clothing) or the backlog "
                              "benchmark (search quality in a curator's terms): prints a table and writes JSON.",
                run_bench, library=False)
    p.add_argument("name", choices=NAMES)
    p.add_argument("--data", type=Path, help="the data folder (e.g. ../shared/data); backlog: where "
                                             "clothing-cc0 is (default ../shared/data)")
    p.add_argument("--json", type=Path, help="write the results here")
    p.add_argument("--seeds", type=whole(0, 2**31 - 1), nargs="+", default=[0, 1, 2])
    p.add_argument("--bits", type=int, nargs="+", default=[16, 32, 64], choices=[16, 32, 64, 128])
    p.add_argument("--photos", type=whole(1), default=4000, help="clothing: photos in the subset")
    p.add_argument("--epochs", type=whole(1), default=60, help="clothing: training epochs")
    p.add_argument("--plots", type=Path, help="wikipedia/mirflickr: folder for the PNG plots "
                                              "(default: next to --json, or ./NAME-plots)")
    _backlog_args(p)


def _backlog_args(p) -> None:
    """Options of ``wenyang bench backlog`` (METHOD.md's backlog protocol)."""
    p.add_argument("--dataset", choices=("demo", "clothing"), default="demo",
                   help="backlog: the demo collection (backlog = another seed) or clothing-cc0")
    p.add_argument("--catalogue", type=whole(1), help="backlog: catalogue items (demo 300, clothing 2000)")
    p.add_argument("--backlog", type=whole(1), help="backlog: uncatalogued photos (demo 200, clothing 500)")
    p.add_argument("--models", default="default,firstrun",
                   help="backlog: models to train and measure, comma-separated (default, firstrun; onecnn and "
                        "twocnns: the default with one or two CNNs)")
    p.add_argument("--no-baseline", action="store_true", help="backlog: skip the plain ResNet-18 baseline")
    p.add_argument("--baseline-epochs", type=whole(1), help="backlog: baseline epochs (demo 25, clothing 20)")
    p.add_argument("--phrases", type=whole(0), default=40, help="backlog: label combinations typed as phrases")


def run_bench(args) -> int:
    if args.name == "backlog":
        return _run_backlog(args)
    if args.data is None:
        raise WenyangError(f"wenyang bench {args.name} needs --data (e.g. ../shared/data).")
    if args.name == "clothing":
        from app.services.bench_clothing import run_clothing_benchmark

        data = args.data / "clothing-cc0" if (args.data / "clothing-cc0").is_dir() else args.data
        if not (data / "images.csv").is_file():
            raise WenyangError(f"No clothing-cc0 data (images.csv) under {args.data}.")
        run_clothing_benchmark(data, args.json, n=args.photos, bits=args.bits[-1], seed=args.seeds[0],
                               epochs=args.epochs)
        return 0
    from app.services.benchmarks import run_public_benchmark

    run_public_benchmark(args.name, args.data, args.json, seeds=args.seeds, bits=args.bits, plots_dir=args.plots)
    return 0


def _run_backlog(args) -> int:
    from app.services.bench_backlog import MODEL_OPTIONS, BacklogOptions, run_backlog_benchmark

    models = tuple(m.strip() for m in args.models.split(",") if m.strip())
    unknown = set(models) - set(MODEL_OPTIONS)
    if unknown or not models:
        raise WenyangError(f"--models takes {', '.join(MODEL_OPTIONS)}, not {', '.join(sorted(unknown)) or 'nothing'}.")
    options = BacklogOptions(dataset=args.dataset, seeds=tuple(args.seeds), catalogue=args.catalogue,
                             backlog=args.backlog, models=models, baseline=not args.no_baseline,
                             baseline_epochs=args.baseline_epochs, phrases=args.phrases, data_dir=args.data)
    run_backlog_benchmark(options, args.json)
    return 0
