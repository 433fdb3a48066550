"""A library's items as arrays: what training, encoding and research exports need.

Row i of every array is ``ids[i]``. Labels follow ``scheme.ordered()`` (the order stored in
the model card), texts are title + description, images are each item's first photo.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from app.core.models import item_text  # noqa: F401  (re-exported)
from app.media.images import THUMBNAIL_SIZE, ImageProblem, load_rgb, thumbnail_path
from app.media.preprocess import Preprocessing
from app.media.preprocess import batch as preprocess_batch

if TYPE_CHECKING:
    from app.store import Library


@dataclass
class LibraryArrays:
    ids: np.ndarray            # item ids, int64 (n,)
    label_ids: list[str]       # column order of ``labels``
    labels: np.ndarray         # multi-hot float32 (n, c)
    texts: list[str]           # title + description ('' when none)
    photos: Sequence[Path | None]  # first photo of each item (None when it has none)
    photo_hashes: list[str]    # sha256 of that photo ('' when none)

    def has_photo(self) -> np.ndarray:
        """bool (n,): whether each item has a photo."""
        return np.array([bool(h) for h in self.photo_hashes], bool)

    def text_hashes(self) -> list[str]:
        """Content hash of each text: codes are refreshed only when it changes."""
        return [hashlib.sha256(t.encode("utf-8")).hexdigest() if t.strip() else "" for t in self.texts]

    def image_sources(self, lib: Library, prep: Preprocessing) -> ImageSources:
        """Files to read each item's image from, best first: the 256 px thumbnail is enough
        (and far cheaper than a museum scan) when the network input is no larger."""
        return ImageSources(self.photos, self.photo_hashes, lib.thumbnails_dir, prep.size <= THUMBNAIL_SIZE)

    def label_hashes(self) -> list[str]:
        """Content hash of each row's labels ('' for none): the sha256 of its float32 bytes."""
        labels = np.ascontiguousarray(self.labels, np.float32)
        if labels.size == 0:
            return [""] * len(labels)
        data, width = labels.tobytes(), int(labels.shape[1]) * 4
        carried = np.any(labels, axis=1).tolist()
        return [hashlib.sha256(data[r * width:(r + 1) * width]).hexdigest() if c else ""
                for r, c in enumerate(carried)]


class _LazyRows(Sequence):
    """A sequence whose rows are made when asked for (``_row``), by index or slice."""

    def __len__(self) -> int:
        raise NotImplementedError

    def _row(self, i: int):
        raise NotImplementedError

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self._row(j) for j in range(*i.indices(len(self)))]
        return self._row(i)


class PhotoPaths(_LazyRows):
    """Each item's first photo as a Path (None for an item without), made when asked for:
    encoding reads only the rows it encodes, and making a million Paths up front took ~20 s."""

    def __init__(self, root: Path, stored: list[str | None]):
        self._root, self._stored = root, stored

    def __len__(self) -> int:
        return len(self._stored)

    def _row(self, i: int) -> Path | None:
        stored = self._stored[i]
        return None if stored is None else _resolved(self._root, stored)


class ImageSources(_LazyRows):
    """``sources[i]``: the files to read row i's image from, best first (made when asked)."""

    def __init__(self, photos: Sequence[Path | None], hashes: list[str], thumbnails: Path, use_thumbnails: bool):
        self._photos, self._hashes = photos, hashes
        self._thumbnails, self._use_thumbnails = thumbnails, use_thumbnails

    def __len__(self) -> int:
        return len(self._photos)

    def _row(self, i: int) -> list[Path]:
        options: list[Path] = []
        if self._hashes[i] and self._use_thumbnails:
            options.append(thumbnail_path(self._thumbnails, self._hashes[i]))
        photo = self._photos[i]
        if photo is not None:
            options.append(photo)
        return options


def _resolved(root: Path, stored: str) -> Path:
    path = Path(stored)
    return path if path.is_absolute() else root / path


def photo_path(lib: Library, stored: str) -> Path:
    """Stored photo paths are absolute, or relative to the library (copied photos)."""
    return _resolved(lib.root, stored)


def library_arrays(lib: Library, item_ids: list[int] | None = None) -> LibraryArrays:
    """Gather every item (or the given ones) of the library into arrays."""
    scheme = lib.scheme
    label_ids = [l.id for l in scheme.ordered()]
    column = {label_id: j for j, label_id in enumerate(label_ids)}
    rows = lib.items.texts(item_ids)
    ids = np.array([r[0] for r in rows], np.int64)  # ascending, as texts() reads them
    labels = np.zeros((len(rows), len(label_ids)), np.float32)
    if item_ids is None:
        for label_id, carriers in lib.labels.items_by_label().items():
            if label_id in column and len(ids):
                at = np.minimum(np.searchsorted(ids, carriers), len(ids) - 1)
                labels[at[ids[at] == carriers], column[label_id]] = 1.0
    else:  # a few items: their own tags only
        for item_id, label_id in lib.labels.pairs(item_ids=ids.tolist()):
            if label_id in column:
                labels[int(np.searchsorted(ids, item_id)), column[label_id]] = 1.0
    first = lib.items.first_photos(None if item_ids is None else ids.tolist())
    photos = PhotoPaths(lib.root, [first[r[0]][0] if r[0] in first else None for r in rows])
    hashes = [first[r[0]][1] if r[0] in first else "" for r in rows]
    return LibraryArrays(ids, label_ids, labels,
                         [item_text(r[1], r[2]) for r in rows], photos, hashes)


class PhotoLoader:
    """``loader(indices) -> float32 (b, 3, size, size)`` over the arrays' photos.

    A photo that has gone missing or bad since import becomes a zero image and is recorded
    in ``problems`` rather than stopping a long training or encoding run.
    """

    def __init__(self, sources: Sequence[list[Path]], prep: Preprocessing):
        self.sources = sources
        self.prep = prep
        self.problems: dict[int, str] = {}

    def __call__(self, indices) -> np.ndarray:
        images = []
        for i in np.asarray(indices).tolist():
            images.append(self._one(int(i)))
        return preprocess_batch(images, self.prep)

    def _one(self, i: int):
        from PIL import Image

        problem = ImageProblem("no photo")
        for path in self.sources[i]:
            try:
                return load_rgb(path)
            except ImageProblem as exc:
                problem = exc
        self.problems[i] = str(problem)
        mean = tuple(int(255 * m) for m in self.prep.mean)
        return Image.new("RGB", (self.prep.size, self.prep.size), mean)
