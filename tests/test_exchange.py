import json

import optuna
import pytest
from optuna.trial import TrialState

from bananas.evaluators import TabularEvaluator
from bananas.exchange import LogError, export_study, read_log, records_to_trials
from bananas.search import run_search
from bananas.trials import n_complete
from bananas.warmstart import WarmStart, load_warm_start
from tests.test_search import FlakyEvaluator


@pytest.fixture
def finished(cora):
    return run_search(cora, FlakyEvaluator(cora), method="random", budget=12, seed=0)


def test_export_then_import_round_trips(cora, finished, tmp_path):
    path = tmp_path / "log.jsonl"
    assert export_study(finished, cora, path) == len(finished.trials)
    records = read_log(path)
    assert {r["state"] for r in records} == {"COMPLETE", "FAIL"}
    copy = optuna.create_study(direction="maximize")
    copy.add_trials(records_to_trials(records, cora))
    for a, b in zip(finished.trials, copy.trials, strict=True):
        assert (a.params, a.value, a.state) == (b.params, b.value, b.state)
        assert a.user_attrs["arch"] == b.user_attrs["arch"]
        assert a.user_attrs.get("test_acc") == b.user_attrs.get("test_acc")
        assert a.user_attrs.get("fail_reason") == b.user_attrs.get("fail_reason")


def test_malformed_lines_are_named_by_number_and_skipped_only_when_asked(cora, finished, tmp_path, capsys):
    path = tmp_path / "log.jsonl"
    export_study(finished, cora, path)
    good = path.read_text().splitlines()
    bad = {**json.loads(good[0]), "state": "RUNNING"}
    path.write_text("\n".join([good[0], "{not json", json.dumps(bad), *good[1:]]) + "\n")
    with pytest.raises(LogError, match=r"line 2: not JSON.*line 3: state 'RUNNING'") as err:
        read_log(path)
    assert [n for n, _ in err.value.errors] == [2, 3]
    records = read_log(path, skip_malformed=True)
    assert len(records) == len(good)
    assert "skipped line 2" in capsys.readouterr().err


def test_same_dataset_warm_start_adds_observations_outside_the_budget(cora, tmp_path):
    prior = run_search(cora, TabularEvaluator(cora), method="random", budget=15, seed=1)
    path = tmp_path / "prior.jsonl"
    export_study(prior, cora, path)
    storage = f"sqlite:///{tmp_path}/w.db"
    for _ in range(2):  # running again neither re-adds the prior nor re-runs anything
        study = run_search(
            cora,
            TabularEvaluator(cora),
            budget=12,
            seed=0,
            storage=storage,
            warm_start=load_warm_start(str(path)),
            sampler_options={"batch_size": 4},
        )
    warm = [t for t in study.trials if "warm_start" in t.user_attrs]
    own = [t for t in study.trials if "warm_start" not in t.user_attrs]
    assert len(warm) == 15 and len(own) == 12 and n_complete(study) == 12
    assert own[0].user_attrs["iteration"] >= 1  # 15 observations: the model starts at once
    assert not {t.user_attrs["arch"] for t in own} & {t.user_attrs["arch"] for t in warm}


def test_warm_start_of_another_space_or_empty_is_refused(cora):
    with pytest.raises(ValueError, match="no evaluations"):
        WarmStart("x", [])
    other = WarmStart("y", [{"space": "nb201", "dataset": "cifar10", "arch": "a", "state": "COMPLETE", "value": 1}])
    with pytest.raises(ValueError, match="space 'nb201'"):
        run_search(cora, TabularEvaluator(cora), budget=2, warm_start=other)


def test_cli_export_import_and_errors(tmp_path):
    from tests.test_cli import _bananas

    db = f"sqlite:///{tmp_path}/a.db"
    assert _bananas("search", "--method", "re", "--budget", "6", "--storage", db, "--quiet").returncode == 0
    log = tmp_path / "a.jsonl"
    out = _bananas("export", "--storage", db, "--study-name", "nbgraph-cora-re-seed0", "--out", str(log))
    assert out.returncode == 0 and "wrote 6 evaluations" in out.stdout
    out = _bananas("import", "--storage", db, "--study-name", "copy", "--log", str(log))
    assert out.returncode == 0
    copy = optuna.load_study(storage=db, study_name="copy")
    assert len(copy.get_trials(states=(TrialState.COMPLETE,))) == 6
    out = _bananas("export", "--storage", db, "--study-name", "nope", "--out", str(log))
    assert out.returncode == 2 and "no study 'nope'" in out.stderr
    out = _bananas("search", "--budget", "3", "--storage", db, "--warm-start", str(tmp_path / "missing.jsonl"))
    assert out.returncode == 2 and "cannot warm-start" in out.stderr and "Traceback" not in out.stderr
