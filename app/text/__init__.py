"""Text features: tokenising bilingual costume descriptions, the vocabulary, bag-of-words/tf-idf.

Only the standard library, NumPy and jieba are used here (no torch, no Qt), so the search runtime
and the GUI can turn a query into a vector without the training stack::

    from app import text
    text.warm_up()                                  # on a worker thread at start-up (~1 s)
    text.tokenize("明黄妆花缎龙袍")                 # ['明黄', '黄', '妆花缎', '妆花', '缎', ...]
    vocab = text.Vocabulary.build(descriptions, size=1000, labels=label_matrix)
    x = vocab.transform(descriptions, mode="tfidf")  # float32, (n, len(vocab))
"""
from __future__ import annotations

from app.text.glossary import Glossary
from app.text.tokenizer import (
    TextTokenizer,
    default_tokenizer,
    strip_plural,
    tokenize,
    tokenizer_identity,
    warm_up,
)
from app.text.vectors import MODES
from app.text.vocabulary import Vocabulary, VocabularyError, tokenize_all

__all__ = [
    "Glossary",
    "MODES",
    "TextTokenizer",
    "Vocabulary",
    "VocabularyError",
    "default_tokenizer",
    "strip_plural",
    "tokenize",
    "tokenize_all",
    "tokenizer_identity",
    "warm_up",
]
