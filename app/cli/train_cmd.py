"""``wenyang train``, ``encode`` and ``models``: the hashing model of a library."""
from __future__ import annotations

import sys
from pathlib import Path

from app.cli.common import action_group, command, open_from_args, whole
from app.core.jobs import CancelToken, Progress
from app.services import ops


def register(sub) -> None:
    p = command(sub, "train", "Train a cross-modal hashing model on the library's labelled items, "
                              "export it to ONNX and encode the library.", run_train)
    p.add_argument("--bits", type=int, default=32, choices=[16, 32, 64, 128])
    p.add_argument("--mode", default="ssah", choices=["ssah", "dcmh"])
    p.add_argument("--epochs", type=whole(1, 100_000), default=60)
    p.add_argument("--image-size", type=whole(16, 2048), help="photo side in pixels (default 224 on a GPU; on a CPU 256 with two CNNs (the first "
                        "sees 3/4 of it), 192 with --one-cnn, 128 with --backbone-weights)")
    p.add_argument("--backbone", default="resnet18", choices=["resnet10", "resnet18", "resnet50"],
                   help="the CNN (default resnet18; resnet10 has one block per stage, about 60 %% of the cost)")
    p.add_argument("--stem", choices=["resnet", "unshuffle4"],
                   help="the CNN's first layer (default: unshuffle4, which sees twice the resolution at the "
                        "same cost, for a CNN trained from scratch on a CPU; resnet otherwise)")
    pair = p.add_mutually_exclusive_group()
    pair.add_argument("--two-cnns", dest="twin", action="store_const", const=True,
                      help="a second CNN (a ResNet-10 at 4/3 the resolution) beside the first, their label "
                           "probabilities averaged (the default on a CPU for a ResNet-18 from scratch on up to 1,000 "
                           "labelled photos)")
    pair.add_argument("--one-cnn", dest="twin", action="store_const", const=False,
                      help="one CNN only: about half the first pass's time")
    p.add_argument("--backbone-weights", help="a local weights file (state dict) to start the CNN from")
    p.add_argument("--seed", type=whole(0, 2**31 - 1), default=0)
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    p.add_argument("--no-encode", action="store_true", help="do not encode the library afterwards")
    p.add_argument("--activate-anyway", action="store_true",
                   help="make the new model the active one even if the active model validated better")
    p = command(sub, "encode", "Encode new or changed items with the active (or named) model.", run_encode)
    p.add_argument("--model", help="model id (default: the active one)")
    action = action_group(sub, "models", "List trained models and choose the active one.")
    action("list", "List models.", run_models_list)
    p = action("activate", "Make a model the one search uses.", run_models_activate)
    p.add_argument("model")
    register_evaluate(sub)


def _printer():
    """Progress lines on stderr: each epoch, the first pass's end, each stage's end."""
    def show(event: Progress) -> None:
        kind, data = event.data.get("kind"), event.data
        if event.stage == "train" and kind == "epoch":
            losses = " ".join(f"{k}={v:.3f}" for k, v in data.get("losses", {}).items())
            vm = data.get("val_map")
            print(f"epoch {data['epoch']}/{data['epochs']} {losses} "
                  f"val MAP={'-' if vm is None else f'{vm:.3f}'}", file=sys.stderr, flush=True)
        elif event.stage == "warmup" and event.finished_stage:
            print(f"{event.detail}, loss {data['losses']['cnn']:.3f}", file=sys.stderr, flush=True)
        elif event.stage in ("text", "export") or kind == "done":
            print(event.detail or event.stage, file=sys.stderr, flush=True)
        elif event.stage == "encode" and event.finished_stage:
            print(f"encoded {event.total} {event.detail} code(s)", file=sys.stderr, flush=True)
    return show


def run_train(args) -> int:
    from app.services.training import Train, TrainOptions

    options = TrainOptions(bits=args.bits, mode=args.mode, epochs=args.epochs, image_size=args.image_size,
                           backbone=args.backbone, backbone_weights=args.backbone_weights, stem=args.stem,
                           twin=args.twin, seed=args.seed, device=args.device, resume=args.resume,
                           replace_better=args.activate_anyway)
    with open_from_args(args) as lib:
        outcome = Train(options, _printer(), CancelToken(), encode=not args.no_encode).run(lib).value
    if outcome.cancelled:
        print("Training was cancelled; the last checkpoint is kept (use --resume).")
        return 3
    print(f"Model {outcome.model_id}: {outcome.n_train} training items, best validation score "
          f"{outcome.val_map:.3f} at epoch {outcome.best_epoch} of {outcome.epochs_run}, "
          f"{outcome.wall_s:.0f} s on {outcome.device}.")
    for note in outcome.notes:
        print(note.replace("<new id>", str(outcome.model_id)))
    if outcome.activated:
        print("Search now uses this model.")
    return 0


def run_encode(args) -> int:
    from app.services.encoding import Encode

    with open_from_args(args) as lib:
        report = Encode(args.model, _printer()).run(lib).value
    print(f"Encoded with {report.model_id} on {report.provider}: "
          + ", ".join(f"{m} {n}" for m, n in report.encoded.items())
          + f"; {report.suggestions} suggestion(s) stored.")
    for item_id, why in sorted(report.problems.items()):
        print(f"  item {item_id}: photo not usable ({why})")
    return 3 if report.problems else 0


def run_models_list(args) -> int:
    with open_from_args(args) as lib:
        models = lib.models.all()
        for m in models:
            metrics = m.card.get("validation", m.card.get("metrics", {}))
            print(f"{'*' if m.active else ' '} {m.id}\t{m.bits} bits\t{m.mode}\t{m.created}\t{metrics}")
        print(f"({len(models)} models; * = active)")
    return 0


def run_models_activate(args) -> int:
    with open_from_args(args) as lib:
        ops.ActivateModel(args.model).run(lib)
        print(f"Search now uses {args.model}.")
    return 0


def register_evaluate(sub) -> None:
    p = command(sub, "evaluate", "Measure the model on the library's held-out items: a table of "
                                 "MAP@all, MAP@K, P@K, R@K, NDCG@K and PNG plots.", run_evaluate)
    p.add_argument("--model", help="model id (default: the active one)")
    p.add_argument("-k", type=whole(1, 1_000_000), default=50, help="K for the @K metrics (default 50)")
    p.add_argument("--out", type=Path, help="folder for metrics.txt/json and PNG plots "
                                            "(default: LIBRARY/reports/MODEL)")


def run_evaluate(args) -> int:
    from app.services.evaluation import evaluate_library

    with open_from_args(args) as lib:
        model = lib.models.get(args.model) if args.model else lib.models.active()
        out = args.out or (lib.root / "reports" / (model.id if model else "none"))
        report = evaluate_library(lib, args.model, out, k=args.k)
    print(report.table())
    for plot in report.plots:
        print(f"Plot: {plot}")
    return 0
