"""Plain records passed between the store, the services and the interfaces."""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, TypedDict

# The longest title, description or metadata text an item may hold, in characters: far above
# any catalogue entry (a 10-page essay is ~50,000), and what sheets, the library and packages
# all accept, so that whatever the library holds it can also export and read back.
MAX_TEXT = 10_000_000


def editor() -> str:
    """Who is editing, as shown to another curator whose edit is refused: user@host."""
    import getpass
    import socket

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "someone"
    return f"{user}@{socket.gethostname()}"


def now_iso() -> str:
    """Current UTC time as an ISO-8601 string (what the library stores)."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def item_text(title: str, description: str) -> str:
    """The text of an item as models and research exports see it: title, then description."""
    return "\n".join(part for part in (title.strip(), description.strip()) if part)


@dataclass
class Photo:
    path: str
    sha256: str
    size: int
    width: int
    height: int
    format: str
    note: str = ""
    position: int = 0
    id: int | None = None
    item_id: int | None = None


@dataclass
class Item:
    accession: str
    title: str = ""
    description: str = ""
    metadata: dict = field(default_factory=dict)
    photos: list[Photo] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    id: int | None = None
    created: str = ""
    modified: str = ""
    version: int = 0        # counts the edits of its fields (0: not read from a library)
    changed_by: str = ""    # who made the last edit ("user@host"), "" before any


@dataclass
class Collection:
    id: int
    name: str
    description: str = ""
    size: int = 0
    created: str = ""


class ModelCard(TypedDict, total=False):
    """A model's ``card.json``: what it is, how it was trained, and everything inference needs.

    The exporter (``app.ml.export``) writes the network facts, training adds the library's
    (``app.services.training``), the runtime (``app.runtime.model``) and the services read it.
    Cards from older versions may lack the later keys, hence ``total=False``."""

    format: str                      # "wenyang-model"
    format_version: int
    id: str
    created: str
    bits: int
    mode: str                        # "ssah" or "dcmh"
    networks: dict[str, dict[str, str]]  # modality -> {"file", "input"}
    exporter: str
    opset: int
    versions: dict[str, str]
    code: dict[str, Any]             # how h becomes bits: sign, packing
    config: dict[str, Any]           # the training configuration
    backbone: str
    image_input: str                 # "pixels" or "features"
    label_predictions: bool
    calibration: dict[str, Any]      # per network: {"scale", "shift"} (older cards: a temperature)
    validation: dict[str, Any]       # {"metric", "map", ...}
    metrics: dict[str, Any]          # older cards' name for the validation
    best_epoch: int
    epochs_run: int
    training_size: int
    validation_size: int
    training_items: int
    device: str
    wall_s: float
    history: list[dict[str, Any]]
    label_ids: list[str]
    label_names: dict[str, dict[str, str]]
    scheme_fingerprint: str
    scheme_version: int
    vocabulary: dict[str, Any] | None
    text_mode: str
    preprocessing: dict[str, Any]    # {"size", "mean", "std"}
    holdout_items: list[int]
    library: str

