# Type stubs of the native module (written by hand beside python/src, which they describe).
import os
from typing import Any, Optional, Sequence, Tuple, Union, overload

import numpy as np
import numpy.typing as npt

__version__: str

Document = Union[str, bytes]
Target = Union[str, int, None]
PathLike = Union[str, os.PathLike]

class TextExplanation:
    """A document explained word by word for one class."""

    @property
    def text(self) -> str:
        """The text the model read (after the model's cleaning)."""
    @property
    def words(self) -> list[str]: ...
    @property
    def spans(self) -> list[Tuple[int, int]]:
        """Each word's (start, end) in `text`, in characters: text[start:end] == word."""
    @property
    def relevance(self) -> npt.NDArray[np.float32]:
        """Relevance per word: for LRP, R_w = sum over w's tokens t and dimensions d of R_{t,d}."""
    @property
    def seen(self) -> npt.NDArray[np.bool_]:
        """Whether the model saw each word (False past its window)."""
    @property
    def target(self) -> str: ...
    @property
    def target_index(self) -> int: ...
    @property
    def score(self) -> float: ...
    @property
    def predicted(self) -> str: ...
    @property
    def scores(self) -> npt.NDArray[np.float32]: ...
    @property
    def probabilities(self) -> npt.NDArray[np.float32]: ...
    @property
    def method(self) -> str: ...
    @property
    def signed(self) -> bool: ...
    @property
    def special_tokens(self) -> list[tuple[str, int, float]]:
        """(token, position, relevance) of each token the tokenizer added around the words ([CLS], [SEP], <s>…)."""
    @property
    def known_words(self) -> tuple[int, int]:
        """(known, read): how many of the words the model read are in its vocabulary."""
    @property
    def conservation(self) -> Optional[dict[str, Any]]:
        """For LRP: explained, words (their sum), padding, absorbed, and each layer's sums."""
    @property
    def completeness(self) -> Optional[dict[str, Any]]:
        """For Integrated Gradients: baseline, steps, quadrature, score, baseline_score, error = ΣR − (s(x) − s(x'))."""
    def to_json(self) -> str:
        """The explanation as `xai-text explain --format json` prints it."""
    def to_html(self) -> str:
        """The page `xai-text explain --format html` writes."""

class TextModel:
    """A text classifier that explains its decisions word by word."""

    def __init__(self, path: Optional[PathLike] = None) -> None:
        """A model folder (relvis's own or an ONNX classifier); the embedded default if None."""
    @property
    def classes(self) -> list[str]: ...
    @overload
    def predict(self, texts: Document) -> Tuple[str, npt.NDArray[np.float32]]: ...
    @overload
    def predict(self, texts: Sequence[Document]) -> Tuple[list[str], npt.NDArray[np.float32]]: ...
    @overload
    def explain(self, texts: Document, target: Target = None, method: str = "lrp", rule: str | None = None) -> TextExplanation: ...
    @overload
    def explain(self, texts: Sequence[Document], target: Target = None, method: str = "lrp", rule: str | None = None) -> list[TextExplanation]: ...

class VideoExplanation:
    """A clip's class score explained onto its blocks and frames."""

    @property
    def blocks(self) -> npt.NDArray[np.float32]:
        """Relevance per frame, block row and block column (frames x rows x cols)."""
    @property
    def per_frame(self) -> npt.NDArray[np.float32]: ...
    @property
    def frame_types(self) -> str:
        """One letter per frame: I, P or B."""
    @property
    def frame_times(self) -> npt.NDArray[np.float64]:
        """Presentation time of each frame in seconds."""
    @property
    def target(self) -> str: ...
    @property
    def target_index(self) -> int: ...
    @property
    def score(self) -> float: ...
    @property
    def scores(self) -> npt.NDArray[np.float32]: ...
    @property
    def method(self) -> str: ...
    @property
    def conservation(self) -> dict[str, Any]: ...
    def to_json(self) -> str:
        """The record `xai-video explain --jsonl` writes (blocks as nested lists)."""

class VideoModel:
    """A video action classifier explained onto blocks and frames."""

    def __init__(self, path: Optional[PathLike] = None) -> None: ...
    @property
    def classes(self) -> list[str]: ...
    @overload
    def predict(self, paths: PathLike) -> Tuple[str, npt.NDArray[np.float32]]: ...
    @overload
    def predict(self, paths: Sequence[PathLike]) -> Tuple[list[str], npt.NDArray[np.float32]]: ...
    def explain(self, path: PathLike, target: Target = None, rule: str = "epsilon=0.001") -> VideoExplanation: ...

class SprayAnalysis:
    """The result of `spray`."""

    @property
    def eigenvalues(self) -> npt.NDArray[np.float64]: ...
    @property
    def eigengaps(self) -> npt.NDArray[np.float64]: ...
    @property
    def proposed_clusters(self) -> int: ...
    @property
    def clusters(self) -> int: ...
    @property
    def labels(self) -> npt.NDArray[np.int64]: ...
    @property
    def cluster_sizes(self) -> list[int]: ...
    @property
    def embedding(self) -> npt.NDArray[np.float64]: ...
    @property
    def embedding_method(self) -> str: ...
    def to_json(self) -> str: ...

def spray(
    maps: npt.ArrayLike,
    neighbours: Optional[int] = None,
    clusters: Optional[int] = None,
    normalise: str = "l1",
    perplexity: Optional[float] = None,
    seed: int = 1,
) -> SprayAnalysis:
    """SpRAy over one relevance map per row of `maps` (any shape per map, flattened)."""

def load_dataset(
    path: Optional[PathLike] = None,
    test_fraction: Optional[float] = None,
    split_seed: Optional[int] = None,
) -> dict[str, Any]:
    """A labelled set as the command line reads it: {"classes": [...], "train": [...], "test": [...]},
    each document {"id", "label", "text"}; 20 Newsgroups from $RELVIS_DATA when path is None."""

def set_threads(threads: int) -> None:
    """Bounds relvis's threads (default: one per core); call before the first explanation."""
