"""relvis: explain what text and video classifiers base their decisions on, with layer-wise
relevance propagation (LRP), and find their strategies with SpRAy.

    >>> import relvis
    >>> model = relvis.TextModel()            # the embedded 20 Newsgroups CNN
    >>> e = model.explain("The shuttle launch was delayed by NASA.")
    >>> e.target, e.words[:3], e.relevance[:3]

Models: `TextModel` (relvis's own or an ONNX classifier folder) and `VideoModel`; `spray` over
any stack of relevance maps. Long calls release the GIL and run on relvis's own threads.
"""

from ._errors import (
    InternalError,
    InvalidInput,
    MissingInput,
    ModelError,
    OutputError,
    RelvisError,
    UsageError,
)
from ._relvis import (
    SprayAnalysis,
    TextExplanation,
    TextModel,
    VideoExplanation,
    VideoModel,
    __version__,
    load_dataset,
    set_threads,
    spray,
)

__all__ = [
    "TextModel",
    "TextExplanation",
    "VideoModel",
    "VideoExplanation",
    "spray",
    "SprayAnalysis",
    "load_dataset",
    "set_threads",
    "RelvisError",
    "InternalError",
    "UsageError",
    "MissingInput",
    "InvalidInput",
    "ModelError",
    "OutputError",
    "__version__",
]
