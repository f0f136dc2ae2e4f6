"""What an indexing run reports: its progress while it runs, its summary at the end.
Kept apart from the indexer so that reading these types imports nothing heavy."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .models.machine import peak

if TYPE_CHECKING:
    from .formats.sources import Skip


class Progress(Protocol):
    """Receives indexing progress; the CLI draws it as a bar on stderr."""

    def start(self, total_bytes: int, total_files: int) -> None: ...

    def advance(self, bytes_done: int = 0, files: int = 0, paragraphs: int = 0) -> None: ...

    def close(self) -> None: ...


class SilentProgress:
    def start(self, total_bytes: int, total_files: int) -> None:
        pass

    def advance(self, bytes_done: int = 0, files: int = 0, paragraphs: int = 0) -> None:
        pass

    def close(self) -> None:
        pass


@dataclass
class IndexReport:
    """What one indexing run did."""

    files: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    copies: int = 0  # articles stored as syndicated copies of another
    boilerplate: int = 0  # paragraphs left out as their source's boilerplate
    boilerplate_texts: int = 0  # distinct texts newly found to be boilerplate
    skipped: list[Skip] = field(default_factory=list)
    paragraphs_written: int = 0
    texts_embedded: int = 0
    tokens_embedded: int = 0  # special tokens included, padding not
    flops: float = 0.0  # 2 x the model's matmul weights x tokens (attention scores left out)
    seconds: float = 0.0
    embed_seconds: float = 0.0
    precision: str = "fp32"  # the number format of the forward pass (index/models/precision.py)
    precision_measured: dict[str, Any] | None = None  # how auto chose it (index/models/calibration.py)
    stories_linked: int = 0  # articles given their story (index/stories.py)
    story_seconds: float = 0.0

    @property
    def paragraphs_per_second(self) -> float:
        return self.texts_embedded / self.embed_seconds if self.embed_seconds else 0.0

    @property
    def tokens_per_second(self) -> float:
        return self.tokens_embedded / self.embed_seconds if self.embed_seconds else 0.0

    @property
    def gflops_per_second(self) -> float:
        return self.flops / self.embed_seconds / 1e9 if self.embed_seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": self.files, "added": self.added, "updated": self.updated,
            "unchanged": self.unchanged, "removed": self.removed, "copies": self.copies,
            "boilerplate_paragraphs": self.boilerplate, "new_boilerplate_texts": self.boilerplate_texts,
            "skipped": [{"path": s.path, "line": s.line, "reason": s.reason} for s in self.skipped],
            "paragraphs_written": self.paragraphs_written, "texts_embedded": self.texts_embedded,
            "seconds": round(self.seconds, 3), "embed_seconds": round(self.embed_seconds, 3),
            "paragraphs_per_second": round(self.paragraphs_per_second, 2),
            "tokens_embedded": self.tokens_embedded, "tokens_per_second": round(self.tokens_per_second, 1),
            "gflops_per_second": round(self.gflops_per_second, 2), "precision": self.precision,
            **({"precision_measured": self.precision_measured} if self.precision_measured else {}),
            "stories_linked": self.stories_linked, "story_seconds": round(self.story_seconds, 3),
            **self._peak(),
        }

    def _peak(self) -> dict[str, Any]:
        known = peak(self.precision)
        if known is None or not self.flops:
            return {}
        gflops, basis = known
        return {"peak_gflops": round(gflops, 1), "peak_share": round(self.gflops_per_second / gflops, 3),
                "peak_basis": basis}
