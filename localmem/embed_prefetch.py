"""Embed a one-shot command's query in a forked child while the parent opens the store.

A one-shot ``localmem memories search`` spends about as long loading the embedding model
(onnxruntime, the tokenizer, the ONNX session: ~0.15 s) as importing and opening the store
(pydantic, sqlite-utils, migrations check: ~0.2 s), and the two do not depend on each other. Threads
do not overlap them (both are mostly imports, serialised by the GIL), so the query is embedded in a
``fork``-ed child and its vector comes back through a pipe. Where there is no ``fork`` (Windows),
where the process already runs threads (forking them is unsafe), or when the child fails, the parent
embeds the text itself: the result is the same vector either way.

The daemon (``localmem serve``) keeps the model loaded and answers faster still; this only shortens
the path without one.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from typing import Any


class Prefetch:
    """``Prefetch(text)`` starts embedding ``text`` in a child process at once; ``embedder()`` gives an
    embedder for the store that answers ``text`` from the child and anything else by loading the model."""

    def __init__(self, text: str):
        self.text = text
        self._fd: int | None = None
        self._pid: int | None = None
        if not hasattr(os, "fork") or threading.active_count() > 1:
            return
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: embed, write, and leave without running the parent's exit handlers
            code = 1
            try:
                os.close(read)
                code = _embed_to(write, text)
            finally:
                os._exit(code)
        os.close(write)
        self._fd, self._pid = read, pid

    def result(self) -> tuple[Any, str, int] | None:
        """(vector, model id, dimension) from the child, or None if it failed or never ran."""
        if self._fd is None:
            return None
        chunks = []
        try:
            while chunk := os.read(self._fd, 1 << 16):
                chunks.append(chunk)
        finally:
            os.close(self._fd)
            self._fd = None
            _, status = os.waitpid(self._pid, 0)
        data = b"".join(chunks)
        if status != 0 or b"\n" not in data:
            return None
        header, raw = data.split(b"\n", 1)
        import numpy as np

        meta = json.loads(header)
        vector = np.frombuffer(raw, dtype=np.float32)
        if vector.shape != (meta["dimension"],):
            return None
        return vector, meta["model_id"], meta["dimension"]

    def embedder(self) -> "PrefetchedEmbedder":
        return PrefetchedEmbedder(self)


def _embed_to(fd: int, text: str) -> int:
    from localmem.embed import Embedder

    emb = Embedder.default()
    vector = emb.embed([text])[0].astype("float32")
    payload = json.dumps({"model_id": emb.model_id, "dimension": emb.dimension}).encode() + b"\n" + vector.tobytes()
    view = memoryview(payload)
    while view:
        view = view[os.write(fd, view):]
    os.close(fd)
    return 0


class PrefetchedEmbedder:
    """The ``Embedder`` interface the store uses (``embed``, ``model_id``, ``dimension``), answering the
    prefetched text without loading the model; the model is loaded only for another text."""

    def __init__(self, prefetch: Prefetch):
        self._prefetch = prefetch
        self._got: tuple[Any, str, int] | None = None
        self._asked = False
        self._model = None

    def _prefetched(self) -> tuple[Any, str, int] | None:
        if not self._asked:
            self._asked, self._got = True, self._prefetch.result()
        return self._got

    def _loaded(self):
        if self._model is None:
            from localmem.embed import Embedder

            self._model = Embedder.default()
        return self._model

    @property
    def model_id(self) -> str:
        got = self._prefetched()
        return got[1] if got else self._loaded().model_id

    @property
    def dimension(self) -> int:
        got = self._prefetched()
        return got[2] if got else self._loaded().dimension

    def embed(self, texts: Sequence[str]):
        texts = list(texts)
        got = self._prefetched() if texts == [self._prefetch.text] else None
        return got[0][None, :] if got is not None else self._loaded().embed(texts)
