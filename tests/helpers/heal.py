"""The tiny teacher/student pair the heal tests share: two byte-level BPEs of the same text (they
share most tokens), a tiny Llama pretrained for a few steps as the teacher, and its fvt transplant as
the student; `transplanted_dirs` writes them as `tokforge transplant` would."""

from __future__ import annotations

import copy

import torch

from .texts import TEXT
from .tiny import tiny_lm

CORPUS = [
    TEXT,
    "Models read tokens; people read text. Both like short sentences.",
    "A window of text is read by the teacher and the student alike.",
    "Numbers such as 1234 and 56 are split into digits by some tokenizers.",
] * 6


VARIED = [  # written for these tests
    "Zebras graze quietly while 42 kites drift over the valley.",
    "Quartz, jade and onyx: the jeweller sorted every stone by hue.",
    "Wet boots by the door; a kettle whistles; the dog yawns.",
    "Exactly 1,000,007 bytes were copied before the cable snapped!",
    "Violins tune up, oboes answer, and the hall falls silent.",
    "Pixel by pixel, the old map of the harbour came back to life.",
] * 2


HELD = {"en": ["The teacher reads the same bytes as the student does, in its own tokens."]}


def bpe(tmp_path, name: str, size: int, texts=None):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    from tokforge import load_tokenizer

    hf = Tokenizer(models.BPE())
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    hf.decoder = decoders.ByteLevel()
    hf.train_from_iterator(
        texts or CORPUS,
        trainers.BpeTrainer(
            vocab_size=size,
            special_tokens=["<s>"],
            show_progress=False,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        ),
    )
    (tmp_path / name).mkdir()
    hf.save(str(tmp_path / name / "tokenizer.json"))
    return load_tokenizer(tmp_path / name / "tokenizer.json")


def pretrain(model, tok, steps: int = 60):
    """A few LM steps on CORPUS, so the tiny teacher knows something worth distilling."""
    ids = [[tok.bos_id] + x for x in tok.encode_batch(CORPUS[:4])]
    T = max(map(len, ids))
    x = torch.tensor([r + [0] * (T - len(r)) for r in ids])
    m = torch.tensor([[1] * len(r) + [0] * (T - len(r)) for r in ids])
    labels = x.masked_fill(m == 0, -100)
    torch.manual_seed(0)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    model.train()
    for _ in range(steps):
        opt.zero_grad()
        model(input_ids=x, attention_mask=m, labels=labels).loss.backward()
        opt.step()
    return model.eval()


def make_pair(tmp):
    """(teacher, teacher tokenizer, student made by an fvt transplant, student tokenizer)."""
    from tokforge.transplant.api import TransplantConfig, transplant_model

    old = bpe(tmp, "old", 330)  # two BPEs of the same text with other sizes: they share most tokens
    new = bpe(tmp, "new", 380, CORPUS + ["Tokenizers and teachers read windows of text, sentence by sentence."])
    teacher = pretrain(tiny_lm(len(old.vocab), seed=3, tie=True), old)
    config = TransplantConfig(method="fvt", evaluate=False)
    student = transplant_model((teacher, old), new, config=config, progress=False).model
    return teacher, old, student, new


def transplanted_dirs(pair, tmp_path):
    """A transplanted student folder and a teacher folder, as `tokforge transplant` writes them."""
    from tokforge.surgery.export import save_model
    from tokforge.transplant.api import TransplantConfig, transplant_model

    teacher, old, _, new = pair
    tdir = tmp_path / "teacher"
    save_model(copy.deepcopy(teacher), old, tdir)
    sdir = tmp_path / "student"
    transplant_model(str(tdir), new, config=TransplantConfig(method="fvt", evaluate=False), progress=False, out=sdir)
    corpus = tmp_path / "en.txt"
    corpus.write_text("\n".join(CORPUS) + "\n")
    held = tmp_path / "held.txt"
    held.write_text("\n".join(HELD["en"]) + "\n")
    return tdir, sdir, corpus, held
