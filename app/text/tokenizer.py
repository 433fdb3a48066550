"""Tokenising bilingual costume descriptions.

Text is NFKC-normalised (full-width letters and digits become ASCII) and cut into runs by script:
each run of Han characters is segmented by jieba with the costume glossary, each run of other
letters and digits is an English (or other alphabetic) word, lower-cased, dropped when it holds a
digit ("1880", "18th") or is a stop word. Punctuation and whitespace separate runs, so mixed text
such as "明黄 satin 龙袍, 18th c." works without a language switch.

jieba runs with ``HMM=False``: its HMM guesses new words across term boundaries ("配云肩",
"明黄妆"), which makes the vocabulary depend on accidents of phrasing; without it an unknown
word falls apart into single characters, which are meaningful in costume Chinese (袍, 缎, 绣).
"""
from __future__ import annotations

import itertools
import logging
import marshal
import os
import re
import tempfile
import threading
import time
import unicodedata
from importlib import metadata
from pathlib import Path

from app.paths import user_cache_dir
from app.text.glossary import Glossary

_HAN = (
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U00020000-\U0002ebef\U00030000-\U0003134f"
)
# Han first; the word class excludes Han and "_" so that "dragon龙" splits in two. Digits stay in
# the word so that "18th" or "120cm" can be dropped whole instead of leaving "th" and "cm".
_RUNS = re.compile(f"(?P<han>[{_HAN}]+)|(?P<word>[^\\W_{_HAN}]+)")
_KEEP_FINAL_S = ("ss", "us", "is")  # dress, lotus, chrysalis: not plurals


class TextTokenizer:
    """A tokenizer with its own jieba instance, loaded lazily and at most once.

    Safe to share between threads: the first Chinese text (or :meth:`warm_up`) loads jieba's
    dictionary (about a second) under a lock; later calls only read it.
    """

    def __init__(self, glossary: Glossary | None = None) -> None:
        self._glossary = glossary
        self._jieba = None
        self._lock = threading.Lock()

    @property
    def glossary(self) -> Glossary:
        """The glossary in use (read from resources on first use)."""
        if self._glossary is None:
            with self._lock:
                if self._glossary is None:
                    self._glossary = Glossary.load()
        return self._glossary

    @property
    def is_warm(self) -> bool:
        """True once jieba's dictionary is loaded (tokenising Chinese will not block)."""
        return self._jieba is not None

    def warm_up(self) -> None:
        """Load jieba and the glossary now; call it from a worker thread at start-up."""
        self._segmenter()

    def identity(self) -> str:
        """A string that changes whenever tokenising may change (jieba version, glossary)."""
        return f"jieba-{metadata.version('jieba')}+glossary-{self.glossary.fingerprint}"

    def tokenize(self, text: str | None, expand: bool = True) -> list[str]:
        """Tokens of ``text`` in reading order; ``None`` or blank text gives ``[]``.

        With ``expand`` each token is followed by its broader terms from the glossary
        (龙纹 → 龙纹, 龙), so descriptions and label names share vocabulary entries.
        """
        if text is None:
            return []
        if not isinstance(text, str):
            raise TypeError(f"text must be a str or None, not {type(text).__name__}")
        tokens: list[str] = []
        for match in _RUNS.finditer(unicodedata.normalize("NFKC", text)):
            if match.lastgroup == "han":
                tokens.extend(self._chinese(match.group()))
            else:
                word = self._english(match.group())
                if word:
                    tokens.append(word)
        return self._expand(tokens) if expand else tokens

    def _chinese(self, run: str) -> list[str]:
        stop = self.glossary.zh_stopwords
        return [w for w in self._segmenter().cut(run, HMM=False) if w not in stop]

    def _english(self, word: str) -> str | None:
        word = word.lower()
        stop = self.glossary.en_stopwords
        if len(word) < 2 or word in stop or any(ch.isdigit() for ch in word):
            return None
        word = strip_plural(word)
        return None if word in stop else word

    def _expand(self, tokens: list[str]) -> list[str]:
        expansions = self.glossary.expansions
        out: list[str] = []
        for token in tokens:
            out.append(token)
            out.extend(expansions.get(token, ()))
        return out

    def _segmenter(self):
        seg = self._jieba
        if seg is None:
            glossary = self.glossary  # outside our lock: the property takes it itself
            with self._lock:
                if self._jieba is None:
                    self._jieba = _load_jieba(glossary)
                seg = self._jieba
        return seg


def strip_plural(word: str) -> str:
    """A deliberately trivial English plural strip: dragons → dragon, peonies → peony."""
    if len(word) <= 3 or not word.endswith("s") or word.endswith(_KEEP_FINAL_S):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "ches", "shes", "xes")):
        return word[:-2]
    return word[:-1]


def _load_jieba(glossary: Glossary):
    """A private jieba.Tokenizer with the glossary added (the global jieba is left untouched)."""
    import jieba  # lazy: importing app.text stays cheap for the CLI and the GUI's first paint

    # jieba logs "Building prefix dict..." at DEBUG to stderr on every load; curators need not see it.
    jieba.setLogLevel(logging.WARNING)
    segmenter = jieba.Tokenizer()
    segmenter.FREQ, segmenter.total = prefix_dictionary(segmenter, user_cache_dir())
    segmenter.initialized = True
    for term in glossary.terms:
        segmenter.add_word(term.word, term.freq, term.pos)
    return segmenter


PREFIX_CHUNK = 2_000  # entries per piece of the cached prefix dictionary (about 5 ms to load)


def prefix_dictionary(segmenter, cache_dir: Path) -> tuple[dict[str, int], int]:
    """jieba's prefix dictionary (word and prefix → frequency, and the total), from Wenyang's
    cache when it is there and current, else built from jieba's dictionary and cached.

    jieba's own cache is one ``marshal`` object of half a million entries: loading it holds
    the interpreter lock for 0.3-0.4 s on this CPU, and every other thread, the window's
    included, stops for that long. Here the cache is a header and pieces of
    ``PREFIX_CHUNK`` entries, each loaded by its own call, and other threads run between them.
    A cache that is missing, stale, unreadable or unwritable only costs the build (about a
    second, in plain Python, which lets other threads run)."""
    with segmenter.get_dict_file() as dictionary:
        size = os.fstat(dictionary.fileno()).st_size
    # jieba's version and the dictionary's size, not its path or time: two installs of the same
    # jieba (a venv and a fresh clone's) share the cache instead of rebuilding it in turns
    stamp = [_jieba_version(), size]
    cache = cache_dir / "jieba-prefix.chunks"
    try:
        with open(cache, "rb") as handle:
            header = marshal.load(handle)
            if header[0] == stamp:
                freq: dict[str, int] = {}
                for _ in range(header[2]):
                    freq.update(marshal.load(handle))
                    time.sleep(0)  # hand the interpreter to a waiting thread between pieces
                return freq, header[1]
    except (OSError, EOFError, ValueError, TypeError, IndexError):
        pass
    with segmenter.get_dict_file() as dictionary:
        freq, total = segmenter.gen_pfdict(dictionary)
    _write_prefix_cache(cache, stamp, freq, total)
    return freq, total


def _write_prefix_cache(cache: Path, stamp: list, freq: dict[str, int], total: int) -> None:
    entries = iter(freq.items())
    pieces = []
    while piece := dict(itertools.islice(entries, PREFIX_CHUNK)):
        pieces.append(piece)
        time.sleep(0)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=cache.parent, prefix=".jieba-prefix-")
        with os.fdopen(fd, "wb") as handle:
            marshal.dump([stamp, total, len(pieces)], handle)
            for piece in pieces:
                marshal.dump(piece, handle)
                time.sleep(0)
        os.replace(temp, cache)  # a reader sees the old file or the whole new one
    except OSError:
        return  # a home that cannot be written: build again next time


def _jieba_version() -> str:
    try:
        return metadata.version("jieba")
    except metadata.PackageNotFoundError:
        return ""


_default = TextTokenizer()


def default_tokenizer() -> TextTokenizer:
    """The process-wide tokenizer used by :func:`tokenize` and :func:`warm_up`."""
    return _default


def tokenize(text: str | None, expand: bool = True) -> list[str]:
    """Tokens of one description with the shipped glossary (see :meth:`TextTokenizer.tokenize`)."""
    return _default.tokenize(text, expand=expand)


def warm_up() -> None:
    """Load jieba's dictionary and the glossary (~1 s); safe to call from any thread, repeatedly."""
    _default.warm_up()


def tokenizer_identity() -> str:
    """Identity of the default tokenizer, stored with a vocabulary to detect a changed glossary."""
    return _default.identity()
