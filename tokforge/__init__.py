"""tokforge: tokenizer engineering on one canonical byte-level vocabulary.

Every feature is one import away, with one calling convention (docs/api.md):

- a model is a built-in name, an HF model folder or a ``(model, Tokenizer)`` pair;
- a tokenizer is anything `load_tokenizer` takes (a name, a file, a folder, a `Tokenizer`);
- options are keyword-only, gathered in one frozen config per feature (``AuditConfig``,
  ``TransplantConfig``, ``HealConfig``, ``EvalConfig``, ``HypernetConfig``, ``SuperConfig``),
  checked when it is built;
- results are small typed objects with ``.save(path)``.

``import tokforge`` is light: torch, transformers and faiss load only when a feature needs them
(``pip install 'tokforge[models]'``), on first use of its name.

>>> import tokforge
>>> tokforge.load_tokenizer("gpt2").encode("Hello world")
[15496, 995]
"""

from __future__ import annotations

from .errors import TokforgeError
from .loaders import load_tokenizer
from .registry import lazy_attributes
from .tokenizer import Tokenizer
from .vocab import TokenKind, Vocab

__version__ = "0.3.0"

# name -> "module:attribute", imported on first access (keeps `import tokforge` free of torch)
LAZY = {
    "load_model": "tokforge.models:resolve_model",
    # audit
    "audit_tokenizers": "tokforge.audit.core:audit_tokenizers",
    "AuditConfig": "tokforge.audit.config:AuditConfig",
    "AuditReport": "tokforge.audit.report:AuditReport",
    # transplant
    "transplant_model": "tokforge.transplant.api:transplant_model",
    "TransplantConfig": "tokforge.transplant.api:TransplantConfig",
    "TransplantResult": "tokforge.transplant.api:TransplantResult",
    # heal
    "heal_model": "tokforge.heal.api:heal_model",
    "HealConfig": "tokforge.heal.config:HealConfig",
    "HealResult": "tokforge.heal.api:HealResult",
    # evaluate
    "evaluate_model": "tokforge.evaluate.api:evaluate_model",
    "EvalConfig": "tokforge.evaluate.bits:EvalConfig",
    "EvalResult": "tokforge.evaluate.api:EvalResult",
    # hypernetwork
    "train_hypernet": "tokforge.transplant.hypernet.api:train_hypernet",
    "HypernetConfig": "tokforge.transplant.hypernet.config:HypernetConfig",
    "HypernetResult": "tokforge.transplant.hypernet.api:HypernetResult",
    # byte level
    "ByteLM": "tokforge.bytelevel.bytelm:ByteLM",
    "Ensemble": "tokforge.bytelevel.ensemble:Ensemble",
    # stochastok, supertokens
    "StochasTok": "tokforge.stochastok.core:StochasTok",
    "train_supertokens": "tokforge.supertokens.trainer:train_supertokens",
    "SuperConfig": "tokforge.supertokens.train:SuperConfig",
}

__all__ = ["__version__", "TokforgeError", "TokenKind", "Tokenizer", "Vocab", "load_tokenizer", *LAZY]

# names whose module imports torch at import time: a core install gets one line naming the extra
NEEDS_TORCH = {"ByteLM", "Ensemble", "HealResult", "EvalResult", "TransplantResult", "HypernetResult"}

_lazy_getattr, _ = lazy_attributes(__name__, LAZY)


def __getattr__(name: str):
    if name in NEEDS_TORCH:
        from .extras import require

        require("torch", name)
    return _lazy_getattr(name)


def __dir__():
    return sorted(__all__)
