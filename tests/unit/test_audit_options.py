"""No silent option in the audit's corpus pass: every combination that would drop or ignore an option
(``num_proc`` with a shard, with ``merge`` or without a corpus; ``cluster`` with ``merge``/``shard`` or
without a corpus) is a one-line `InputError`, from `AuditConfig` or the audit entry (so the library
gets it too), before any tokenizer loads, and on the command line exit code 2 naming the flags."""

from __future__ import annotations

import pytest
from tokforge_cli.main import main as cli_main

from tokforge.audit.config import AuditConfig
from tokforge.audit.core import audit_tokenizers
from tokforge.errors import InputError

NOT_A_TOKENIZER = "no-such-tokenizer-for-the-options-test"  # loading it would fail: the check must come first


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_proc": 2, "shard": (0, 2)}, "num_proc=2 and shard=0/2 cannot be combined"),
        ({"num_proc": 2, "merge": ["x"]}, "num_proc=2 does nothing with merge"),
        ({"cluster": "local", "merge": ["x"]}, "cluster=local does nothing with merge"),
        ({"cluster": "local", "shard": (1, 2)}, "cluster=local and shard=1/2 cannot be combined"),
        ({"cluster": "somewhere"}, "cluster must be"),
        ({"cluster": "tcp://host"}, "cluster must be"),
        ({"num_proc": 0}, "num_proc must be a positive integer"),
    ],
)
def test_config_refuses_conflicting_options(kwargs, match):
    with pytest.raises(InputError, match=match):
        AuditConfig(**kwargs)


def test_config_accepts_the_meaningful_combinations():
    assert AuditConfig(num_proc=3).workers == 3
    assert AuditConfig().workers == 1
    assert AuditConfig(cluster="local").workers == 2  # a local cluster's default
    assert AuditConfig(cluster="local", num_proc=4).workers == 4
    assert AuditConfig(cluster="tcp://10.0.0.1:8786").cluster == "tcp://10.0.0.1:8786"
    assert AuditConfig(num_proc=1, shard=(0, 2)).shard == (0, 2)  # one process is no conflict


@pytest.mark.parametrize(
    "corpus, config, match",
    [
        (None, {"num_proc": 2}, "num_proc=2 needs a corpus"),
        (False, {"num_proc": 2}, "num_proc=2 needs a corpus"),
        (None, {"cluster": "local"}, "cluster=local needs a corpus"),
        (False, {"cluster": "local"}, "cluster=local needs a corpus"),
    ],
)
def test_audit_entry_refuses_workers_without_a_corpus_before_loading(corpus, config, match):
    with pytest.raises(InputError, match=match):
        audit_tokenizers([NOT_A_TOKENIZER], corpus, config=AuditConfig(**config), progress=False)


def _cli_error(args, tmp_path, capsys) -> str:
    code = cli_main(["audit", NOT_A_TOKENIZER, "--reference", "none", "--out", str(tmp_path / "o"), *args])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err  # one line, no traceback
    return lines[0]


@pytest.mark.parametrize(
    "args, want",
    [
        (["--num-proc", "2"], "--num-proc 2 needs a corpus"),
        (["--num-proc", "2", "--no-corpus"], "--num-proc 2 needs a corpus"),
        (["--num-proc", "2", "--shard", "0/2", "--corpus", "x.txt"], "--num-proc 2 and --shard 0/2 cannot be combined"),
        (["--num-proc", "2", "--merge", "m"], "--num-proc 2 does nothing with --merge DIR"),
        (["--cluster", "local"], "--cluster local needs a corpus"),
        (["--cluster", "local", "--merge", "m"], "--cluster local does nothing with --merge DIR"),
        (["--cluster", "local", "--shard", "0/2", "--corpus", "x.txt"], "--cluster local and --shard 0/2 cannot be"),
        (["--cluster", "nowhere", "--corpus", "x.txt"], "cluster must be"),
    ],
)
def test_cli_option_conflicts_are_one_line_errors(args, want, tmp_path, capsys):
    assert want in _cli_error(args, tmp_path, capsys)
