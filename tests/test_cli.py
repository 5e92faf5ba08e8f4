import subprocess
import sys

import optuna
import pytest

from bananas.cli import main
from bananas.storage import open_storage


def _bananas(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bananas", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def wait_for_trials(storage: str, study_name: str, n: int, timeout: float = 120) -> None:
    """Wait until the SQLite study holds more than ``n`` trials (a search runs in another process).

    Reads the file with plain sqlite3: opening it through Optuna while the other
    process is still creating the schema would create it twice.
    """
    import sqlite3
    import time

    path = storage.removeprefix("sqlite:///")
    query = "SELECT COUNT(*) FROM trials JOIN studies USING (study_id) WHERE study_name = ?"
    deadline = time.time() + timeout
    while time.time() < deadline:
        time.sleep(0.2)
        try:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
                if db.execute(query, (study_name,)).fetchone()[0] > n:
                    return
        except sqlite3.OperationalError:  # no file or no tables yet
            pass
    raise AssertionError(f"{study_name} did not reach {n} trials in {timeout} s")


def test_search_end_to_end_writes_the_study_and_a_summary(tmp_path):
    db = f"sqlite:///{tmp_path}/b.db"
    out = _bananas(
        "search", "--dataset", "citeseer", "--budget", "25", "--seed", "3", "--storage", db, "--batch-size", "5"
    )
    assert out.returncode == 0, out.stderr
    assert "best arch" in out.stdout and f"optuna-dashboard {db}" in out.stdout and "regret" in out.stdout
    study = optuna.load_study(storage=db, study_name="nbgraph-citeseer-bananas-seed3")
    done = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    assert len(done) == 25
    assert {"arch", "valid_acc", "test_acc", "latency", "params_m", "iteration"} <= set(done[-1].user_attrs)
    assert done[-1].user_attrs["iteration"] >= 1 and "pred_mean" in done[-1].user_attrs
    assert set(done[0].params) == {"link1", "link2", "link3", "op0", "op1", "op2", "op3"}
    again = _bananas("search", "--dataset", "citeseer", "--budget", "25", "--seed", "3", "--storage", db)
    assert again.returncode == 0 and len(optuna.load_study(storage=db, study_name=study.study_name).trials) == 25


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", "--dataset", "mnist"], "choose one of"),
        (["search", "--space", "nb201", "--dataset", "imagenet16"], "--table"),
        (["search", "--evaluator", "train"], "cannot build networks to train; train nb201 or nb101"),
        (["search", "--space", "nb101"], "add --evaluator train"),
        (["search", "--space", "nb102"], "or PATH.py:NAME"),
        (["search", "--space", "no/such.py:SPACE"], "no file 'no/such.py'"),
        (["search", "--space", "scripts/my_space.py:NOPE"], "has no Space 'NOPE' (Spaces it declares: CELL, SPACE)"),
        (["search", "--space", "scripts/my_space.py"], "write PATH.py:NAME"),
        (["search", "--space", "nb101", "--evaluator", "train", "--data-dir", "/no/such"], "dataset-fashion-mnist"),
        (["search", "--space", "nb201", "--evaluator", "train", "--dataset", "cifar10"], "--data-dir"),
        (["search", "--space", "nb201", "--evaluator", "train", "--device", "cuda:7"], "no CUDA GPU"),
        (["search", "--space", "nb201", "--table", "/no/such.csv"], "cannot read table"),
        (["search", "--acquisition", "best"], "choose from"),
        (["search", "--budget", "-3"], "positive integer"),
        (["search", "--budget", "ten"], "positive integer"),
        (["benchmark", "--methods", "bananas,magic"], "unknown methods ['magic']"),
    ],
)
def test_user_mistakes_are_one_line_errors(capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_unreadable_storage_is_a_one_line_error(tmp_path):
    out = _bananas("search", "--budget", "2", "--storage", f"sqlite:///{tmp_path}/no/such/dir/x.db")
    assert out.returncode == 2
    assert "cannot open storage" in out.stderr and "Traceback" not in out.stderr
    out = _bananas("search", "--budget", "2", "--storage", "nosuchdb://x")
    assert out.returncode == 2 and "cannot open storage" in out.stderr


def test_a_study_of_another_dataset_is_refused_in_one_line(tmp_path):
    db = f"sqlite:///{tmp_path}/b.db"
    first = _bananas("search", "--method", "random", "--budget", "2", "--storage", db, "--study-name", "s")
    assert first.returncode == 0
    out = _bananas(
        "search", "--method", "random", "--dataset", "cs", "--budget", "2", "--storage", db, "--study-name", "s"
    )
    assert out.returncode == 2 and "dataset 'cora'" in out.stderr and "Traceback" not in out.stderr


def test_help_is_fast_and_lists_commands():
    out = _bananas("--help")
    assert out.returncode == 0 and "search" in out.stdout and "benchmark" in out.stdout


def test_ctrl_c_stops_cleanly_and_the_same_command_continues(tmp_path):
    import signal

    db = f"sqlite:///{tmp_path}/c.db"
    args = [sys.executable, "-m", "bananas", "search", "--budget", "60", "--storage", db, "--quiet"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    name = "nbgraph-cora-bananas-seed0"
    wait_for_trials(db, name, 12)  # the model-based iterations have begun
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Run the same command again to continue" in err and "Traceback" not in err
    kept = len(optuna.load_study(storage=db, study_name=name).get_trials(states=(optuna.trial.TrialState.COMPLETE,)))
    assert 0 < kept < 60
    out = _bananas("search", "--budget", "60", "--storage", db, "--quiet")
    assert out.returncode == 0
    done = optuna.load_study(storage=db, study_name=name).get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    assert len(done) == 60 and len({t.user_attrs["arch"] for t in done}) == 60


def test_any_error_after_a_stop_signal_counts_as_ctrl_c():
    from bananas.signals import STOP_REQUESTED
    from bananas.signals import interrupted as _interrupted

    # Optuna's _run_trial raises this when the tell of a stopped trial fails (e.g. SQLite locked)
    err = AssertionError("Should not reach.")
    assert not _interrupted(err)
    STOP_REQUESTED.set()
    try:
        assert _interrupted(err)
    finally:
        STOP_REQUESTED.clear()


def test_an_error_raised_while_handling_ctrl_c_counts_as_ctrl_c():
    from bananas.signals import interrupted as _interrupted

    def tell_interrupted():
        try:
            raise KeyboardInterrupt
        finally:
            raise UnboundLocalError("updated_state")  # what Optuna 5.0's _run_trial raises then

    with pytest.raises(UnboundLocalError) as info:
        tell_interrupted()
    assert _interrupted(info.value) and not _interrupted(UnboundLocalError("x"))


def test_nb201_search_by_training_prints_each_evaluation(tmp_path, capsys):
    db = f"sqlite:///{tmp_path}/t.db"
    main(
        ["search", "--space", "nb201", "--evaluator", "train", "--dataset", "digits", "--epochs", "1"]
        + ["--channels", "4", "--budget", "3", "--storage", db]
    )
    captured = capsys.readouterr()
    assert captured.out.count("MFLOPs") == 3  # one line per evaluation
    assert "test acc" in captured.out
    study = optuna.load_study(storage=db, study_name="nb201-digits-bananas-seed0")
    done = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    assert len(done) == 3 and all(t.intermediate_values and "flops_m" in t.user_attrs for t in done)


def test_nb201_table_search_runs_like_nbgraph(tmp_path, capsys):
    main(
        [
            "search",
            "--space",
            "nb201",
            "--dataset",
            "cifar100",
            "--budget",
            "12",
            "--storage",
            f"sqlite:///{tmp_path}/n.db",
        ]
    )
    out = capsys.readouterr().out
    assert "12 completed trials" in out and "regret" in out


def test_whole_space_flag_reaches_the_sampler(tmp_path, capsys):
    storage = f"sqlite:///{tmp_path}/w.db"
    main(
        ["search", "--space", "nb201", "--dataset", "cifar100", "--budget", "12", "--whole-space", "--storage", storage]
    )
    assert "12 completed trials" in capsys.readouterr().out
    (summary,) = optuna.get_all_study_summaries(storage)
    assert summary.user_attrs["bananas"]["sampler_options"]["whole_space"] is True


def test_mo_acquisition_flag_reaches_the_sampler(tmp_path, capsys):
    storage = f"sqlite:///{tmp_path}/m.db"
    flags = ["--budget", "12", "--objectives", "valid_acc,params", "--mo-acquisition", "parego", "--storage", storage]
    main(["search", "--dataset", "cora", *flags])
    assert "pareto set" in capsys.readouterr().out
    (summary,) = optuna.get_all_study_summaries(storage)
    assert summary.user_attrs["bananas"]["sampler_options"]["mo_acquisition"] == "parego"


def test_passwords_in_storage_urls_are_masked():
    from bananas.storage import mask

    assert mask("postgresql://bob:s3cret@db.example:5432/nas") == "postgresql://bob:***@db.example:5432/nas"
    assert mask("sqlite:///bananas.db") == "sqlite:///bananas.db" and mask("not a url") == "not a url"


def test_an_unreachable_database_is_a_quick_one_line_error_without_the_password():
    import time

    start = time.perf_counter()
    out = _bananas("search", "--budget", "2", "--storage", "postgresql://bob:s3cret@127.0.0.1:1/nas")
    assert out.returncode == 2 and time.perf_counter() - start < 30
    assert "127.0.0.1:1" in out.stderr and "s3cret" not in out.stderr + out.stdout
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_a_space_declared_in_a_users_file_is_searched_and_resumed(tmp_path):
    """``--space PATH.py:NAME``: the study records the spec, so resuming (or a worker) finds the file again."""
    space_file = tmp_path / "cells.py"
    space_file.write_text(
        "from torch import nn\n"
        "from optuna.distributions import FloatDistribution\n"
        "from bananas.spaces import CellSpace\n"
        "from bananas.spaces.joint import JointSpace\n"
        "OPS = {'conv': lambda c: nn.Conv2d(c, c, 3, padding=1), 'pool': lambda c: nn.MaxPool2d(3, 1, 1)}\n"
        "CELL = CellSpace(OPS, 3, max_edges=5, name='tiny')\n"
        "SPACE = JointSpace(CELL, {'lr': FloatDistribution(0.01, 0.1, log=True)})\n"
    )
    db = str(tmp_path / "own.log")  # a journal file: workers can share it
    args = ["search", "--space", f"{space_file}:SPACE", "--evaluator", "train", "--dataset", "digits"]
    args += ["--epochs", "1", "--channels", "4", "--storage", db, "--quiet", "--n-init", "2", "--batch-size", "2"]
    first = _bananas(*args, "--budget", "3")
    assert first.returncode == 0, first.stderr
    again = _bananas(*args, "--budget", "5", "--workers", "2")  # workers load the space from the study's record
    assert again.returncode == 0, again.stderr
    storage = open_storage(db)
    (study,) = optuna.get_all_study_summaries(storage)
    assert study.study_name == "cells.SPACE-digits-bananas-seed0"
    trials = optuna.load_study(study_name=study.study_name, storage=storage).trials
    assert len(trials) == 5 and all(t.state.name == "COMPLETE" for t in trials)
    assert all(0.01 <= t.params["lr"] <= 0.1 and "edge_0_1" in t.params for t in trials)
    assert "pred_mean" in trials[-1].user_attrs  # the model picked the last ones


def test_a_space_file_that_fails_to_run_is_one_line_naming_it(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("import numpy\nSPACE = numpy.no_such_thing\n")
    out = _bananas("search", "--space", f"{broken}:SPACE", "--storage", f"sqlite:///{tmp_path}/x.db")
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert f"running {broken} failed: AttributeError" in out.stderr and "Traceback" not in out.stderr


def test_a_multi_objective_search_prints_its_pareto_set_and_exports_every_objective(tmp_path):
    db = f"sqlite:///{tmp_path}/mo.db"
    args = ("search", "--objectives", "valid_acc,latency", "--budget", "15", "--batch-size", "5", "--storage", db)
    out = _bananas(*args, "--quiet")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "'nbgraph-cora-bananas-vs-latency-seed0'" in lines[0]
    head = next(i for i, line in enumerate(lines) if line.startswith("pareto set"))
    assert "valid_acc up, latency down" in lines[head] and lines[head + 1].split()[:3] == [
        "trial",
        "valid_acc",
        "latency",
    ]
    study = optuna.load_study(study_name="nbgraph-cora-bananas-vs-latency-seed0", storage=db)
    listed = {int(line.split()[0]) for line in lines[head + 2 : head + 2 + len(study.best_trials)]}
    assert listed == {t.number for t in study.best_trials}
    log = tmp_path / "mo.jsonl"
    assert _bananas("export", "--storage", db, "--study-name", study.study_name, "--out", str(log)).returncode == 0
    again = _bananas(*args[:-2], "--storage", f"sqlite:///{tmp_path}/b.db", "--warm-start", str(log), "--quiet")
    assert again.returncode == 0 and "(+15 from the warm start)" in again.stdout, again.stderr
    warm = optuna.load_study(study_name="nbgraph-cora-bananas-vs-latency-seed0", storage=f"sqlite:///{tmp_path}/b.db")
    first = [t for t in warm.trials if "warm_start" in t.user_attrs][0]
    assert first.values == [first.user_attrs["valid_acc"], first.user_attrs["latency"]]


def test_a_constrained_search_names_its_best_feasible_architecture(tmp_path):
    db = f"sqlite:///{tmp_path}/c.db"
    out = _bananas("search", "--constraint", "params_m<=1.2", "--budget", "12", "--storage", db, "--quiet")
    assert out.returncode == 0, out.stderr
    assert "constraints params_m<=1.2" in out.stdout and "best feasible" in out.stdout
    study = optuna.load_study(study_name="nbgraph-cora-bananas-params_m<=1.2-seed0", storage=db)
    best = study.best_trial
    assert best.user_attrs["params_m"] <= 1.2 and f"(trial {best.number})" in out.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--objectives", "valid_acc,flops"], "flops_m: not a metric this search records"),
        (["--objectives", "latency"], "the first objective is valid_acc"),
        (["--constraint", "params_m<0.5"], "write METRIC<=BOUND"),
        (["--constraint", "params_m<=0.1"], None),  # nothing feasible: said, not a crash
    ],
)
def test_objective_and_constraint_mistakes_are_one_line(tmp_path, args, says):
    out = _bananas("search", *args, "--budget", "3", "--storage", f"sqlite:///{tmp_path}/x.db", "--quiet")
    if says is None:
        assert out.returncode == 0 and "none is feasible yet" in out.stdout, out.stderr
        return
    assert out.returncode == 2 and says in out.stderr and "Traceback" not in out.stderr
