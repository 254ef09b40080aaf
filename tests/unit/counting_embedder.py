"""A stand-in for the MiniLM encoder that counts its calls, for tests of when a message is embedded."""
import numpy as np


class CountingEmbedder:
    """The real MiniLM, counting how often a reply needed it."""

    def __init__(self, embedder) -> None:
        self.embedder, self.calls = embedder, 0

    def embed(self, text: str) -> np.ndarray:
        self.calls += 1
        return self.embedder.embed(text)
