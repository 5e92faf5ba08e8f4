"""Hostile input and faults (issue 18): each case asserts the exit code, one line naming the problem and
the fix, no traceback, no password anywhere, and the study's trials before and after."""

import os
import subprocess
import sys

import optuna
import pytest
from optuna.trial import TrialState

from tests.test_cli import _bananas

SECRET = "S3cretPW"


def _one_line_error(out: subprocess.CompletedProcess, *needles: str) -> None:
    assert out.returncode == 2, out.stderr
    err = out.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert all(n in err for n in needles), err


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["search", "--budget", "5", "--storage", f"postgresql://user:{SECRET}@127.0.0.1:abc/db"], {}),
        (["search", "--budget", "5", "--storage", f"postgresql://user:{SECRET}@[::1:1/db"], {}),
        (["worker", "--study-name", "x", "--storage", f"postgresql://user:{SECRET}@[::1:1/db"], {}),
        (
            ["search", "--budget", "5", "--warm-start", f"postgresql://user:{SECRET}@[::1:1/db"]
            + ["--warm-start-study", "x", "--storage", "sqlite:///{tmp}/w.db"],
            {},
        ),
        (["worker", "--study-name", "x"], {"BANANAS_STORAGE": f"postgresql://user:{SECRET}@db.example.org:54 32/nas"}),
    ],
)
def test_a_password_in_a_malformed_storage_url_is_never_printed(tmp_path, args, env):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    out = subprocess.run(
        [sys.executable, "-m", "bananas", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )
    assert SECRET not in out.stdout + out.stderr
    _one_line_error(out, "malformed URL", "user:***@", "Give an Optuna storage URL")


def test_a_plain_study_that_minimizes_is_refused_not_adopted(tmp_path):
    db = f"sqlite:///{tmp_path}/p.db"
    optuna.create_study(storage=db, study_name="plain")  # minimize, Optuna's default
    out = _bananas("search", "--budget", "3", "--storage", db, "--study-name", "plain")
    _one_line_error(out, "direction minimize", "maximizes", "another --study-name")
    study = optuna.load_study(storage=db, study_name="plain")
    assert study.trials == [] and "bananas" not in study.user_attrs  # nothing written


def test_importing_a_log_twice_adds_its_evaluations_once(tmp_path):
    db = f"sqlite:///{tmp_path}/a.db"
    assert _bananas("search", "--method", "random", "--budget", "8", "--storage", db, "--quiet").returncode == 0
    log = tmp_path / "a.jsonl"
    assert (
        _bananas("export", "--storage", db, "--study-name", "nbgraph-cora-random-seed0", "--out", str(log)).returncode
        == 0
    )
    first = _bananas("import", "--storage", db, "--study-name", "copy", "--log", str(log))
    assert first.returncode == 0 and "imported 8 evaluations" in first.stdout
    again = _bananas("import", "--storage", db, "--study-name", "copy", "--log", str(log))
    assert (
        again.returncode == 0 and "imported 0 evaluations" in again.stdout and "8 already in the study" in again.stdout
    )
    trials = optuna.load_study(storage=db, study_name="copy").get_trials(states=(TrialState.COMPLETE,))
    assert len(trials) == 8 and len({t.user_attrs["arch"] for t in trials}) == 8


@pytest.mark.parametrize(
    "args",
    [
        ["predictor-eval", "--dataset", "proteins"],  # defaults: 100 + 2,000 of 2,021 architectures
        ["predictor-eval", "--n-test", "100000000"],
    ],
)
def test_predictor_eval_asking_for_more_architectures_than_the_table_holds_fails_fast(args):
    out = _bananas(*args)
    _one_line_error(out, "exceed the", "lower --n-test to at most")


def test_predictor_eval_on_a_partial_table_uses_the_architectures_it_holds(tmp_path):
    import itertools

    from bananas.spaces.nb201 import OPS, to_string

    rows = [to_string(ops) for ops in itertools.islice(itertools.product(OPS, repeat=6), 0, 15625, 97)]
    table = tmp_path / "part.csv"
    table.write_text(
        "arch str,validation accuracy,test accuracy\n" + "".join(f"{r},{i % 50},{i % 40}\n" for i, r in enumerate(rows))
    )
    out = _bananas("predictor-eval", "--space", "nb201", "--dataset", "mine", "--table", str(table),
                   "--n-train", "20", "--n-test", "20", "--seeds", "1")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "kendall_tau" in out.stdout


def test_too_many_local_workers_are_refused_before_anything_starts(tmp_path):
    log = str(tmp_path / "s.log")
    out = _bananas("search", "--workers", "100000", "--budget", "20", "--storage", log)
    _one_line_error(out, "--workers 100000", "at most", "bananas worker")
    assert not os.path.exists(log)


def test_a_journal_whose_last_record_was_cut_off_is_refused_untouched_and_the_repair_works(tmp_path):
    log = tmp_path / "s.log"
    args = ("search", "--method", "random", "--budget", "4", "--storage", str(log), "--quiet")
    assert _bananas(*args).returncode == 0
    whole = log.read_bytes()
    log.write_bytes(whole + b'{"op_code": 5, "worker_id": "x", "tri')  # a crash mid-write
    torn = log.read_bytes()
    more = ("search", "--method", "random", "--budget", "8", "--storage", str(log), "--quiet")
    out = _bananas(*more)
    _one_line_error(out, "cut-off record", f"truncate -s {len(whole)} {log}")
    assert log.read_bytes() == torn  # nothing appended: the file stays readable
    subprocess.run(["truncate", "-s", str(len(whole)), str(log)], check=True)
    assert _bananas(*more).returncode == 0
    from bananas.storage import open_storage

    study = optuna.load_study(storage=open_storage(str(log)), study_name="nbgraph-cora-random-seed0")
    assert len(study.get_trials(states=(TrialState.COMPLETE,))) == 8


@pytest.mark.parametrize("kind", ["sqlite", "journal"])
@pytest.mark.parametrize("existing", [True, False])
def test_two_plain_searches_on_one_study_never_overshoot_or_duplicate(tmp_path, kind, existing):
    storage = f"sqlite:///{tmp_path}/twin.db" if kind == "sqlite" else str(tmp_path / "twin.log")
    base = ("search", "--method", "random", "--storage", storage, "--quiet")
    if existing:
        assert _bananas(*base, "--budget", "5").returncode == 0
    args = [sys.executable, "-m", "bananas", *base, "--budget", "30", "--simulated-cost", "0.05"]
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode in (0, 2), err
        if p.returncode == 2:  # stepped back: one line naming the other process and what to do
            assert len(err.strip().splitlines()) == 1 and "being searched by process" in err and "--workers" in err
    from bananas.storage import open_storage

    study = optuna.load_study(storage=open_storage(storage), study_name="nbgraph-cora-random-seed0")
    done = study.get_trials(states=(TrialState.COMPLETE,))
    assert len(done) <= 30 and len({t.user_attrs["arch"] for t in done}) == len(done)
    assert _bananas(*base, "--budget", "30").returncode == 0  # the same command finishes the budget exactly
    done = optuna.load_study(storage=open_storage(storage), study_name=study.study_name).get_trials(
        states=(TrialState.COMPLETE,)
    )
    assert len(done) == 30 and len({t.user_attrs["arch"] for t in done}) == 30


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--lr", "nan"], "--lr: expected a positive number"),
        (["--lr", "-1"], "--lr: expected a positive number"),
        (["--time-budget", "nan"], "--time-budget: expected a positive number"),
        (["--db-timeout", "nan"], "--db-timeout: expected a positive number"),
    ],
)
def test_numbers_that_cannot_work_are_refused_by_the_parser(capsys, args, needle):
    from bananas.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["search", "--space", "nb201", "--evaluator", "train", *args])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and needle in err and "Traceback" not in err


def test_endless_failed_evaluations_end_in_one_line_not_a_traceback(tmp_path):
    db = f"sqlite:///{tmp_path}/f.db"
    out = _bananas("search", "--space", "nb201", "--evaluator", "train", "--lr", "1e30", "--epochs", "1",
                   "--channels", "2", "--budget", "1", "--method", "random", "--storage", db, "--quiet")  # fmt: skip
    _one_line_error(out, "failed or pruned evaluations", "fail_reason")
    study = optuna.load_study(storage=db, study_name="nb201-digits-random-seed0")
    failed = [t for t in study.trials if t.state == TrialState.FAIL]
    assert len(failed) == 2 and all("loss is nan" in t.user_attrs["fail_reason"] for t in failed)


def test_a_table_of_a_few_architectures_is_the_space_searched(tmp_path):
    import itertools

    from bananas.spaces.nb201 import OPS, from_string, function_key, to_string

    strings = [to_string(ops) for ops in itertools.islice(itertools.product(OPS, repeat=6), 0, 15625, 131)]
    table = tmp_path / "few.csv"
    table.write_text(
        "arch str,validation accuracy,test accuracy\n"
        + "".join(f"{a},{i % 90},{i % 80}\n" for i, a in enumerate(strings))
    )
    keys = {function_key(from_string(a)) for a in strings}
    db = f"sqlite:///{tmp_path}/few.db"
    common = ("search", "--space", "nb201", "--dataset", "mine", "--table", str(table), "--storage", db, "--quiet")
    out = _bananas(*common, "--budget", str(len(keys) + 1))
    _one_line_error(out, f"exceeds the {len(keys)} architectures", "lower --budget")
    out = _bananas(*common, "--budget", "30", "--n-init", "5", "--batch-size", "5")
    assert out.returncode == 0, out.stderr
    study = optuna.load_study(storage=db, study_name="nb201-mine-bananas-seed0")
    done = study.get_trials(states=(TrialState.COMPLETE,))
    assert len(done) == 30 and len(study.trials) == 30  # every proposal had a row: no failed lookups
    assert len({t.user_attrs["arch"] for t in done}) == 30


@pytest.mark.parametrize(
    ("value", "problem"),
    [(float("inf"), "not an accuracy"), (-5, "not an accuracy"), (1e300, "not an accuracy"), (True, "not a number")],
)
def test_values_that_are_no_accuracy_are_refused_where_they_enter(tmp_path, value, problem):
    import json

    from bananas.exchange import LogError, read_log
    from bananas.spaces import get_tabular_space
    from bananas.spaces.nb201 import to_string

    arch = to_string(("nor_conv_3x3",) * 6)
    table = tmp_path / "t.csv"
    table.write_text(f"arch str,validation accuracy,test accuracy\n{arch},50,49\n{arch},{str(value).lower()},49\n")
    with pytest.raises(ValueError, match=f"table {table}, line 3: "):
        get_tabular_space("nb201", "x", table=str(table))
    record = {"schema": 1, "space": "nb201", "dataset": "x", "arch": arch, "state": "COMPLETE"}
    log = tmp_path / "l.jsonl"
    log.write_text(json.dumps({**record, "value": value}) + "\n")
    with pytest.raises(LogError, match=f"line 1: 'value' .*{problem}"):
        read_log(log)
    log.write_text(json.dumps({**record, "value": 50, "metrics": {"test_acc": value}}) + "\n")
    with pytest.raises(LogError, match=f"line 1: test_acc .*{problem}"):
        read_log(log)
    log.write_text(json.dumps({**record, "value": 50, "metrics": [value]}) + "\n")
    with pytest.raises(LogError, match="line 1: metrics .* is not an object"):
        read_log(log)


def test_an_evaluator_returning_no_accuracy_is_a_fail_trial_with_its_reason(cora):
    from bananas.evaluators import Result
    from bananas.search import run_search

    class NaNs:
        def describe(self):
            return {"kind": "nan"}

        def evaluate(self, arch, on_epoch=None):
            return Result(metrics={"valid_acc": float("nan"), "test_acc": 1.0})

    with pytest.raises(RuntimeError, match="failed or pruned"):
        run_search(cora, NaNs(), method="random", budget=2, max_failures=1)


def test_export_into_a_missing_folder_says_so_and_keeps_an_old_file_whole(tmp_path):
    db = f"sqlite:///{tmp_path}/e.db"
    assert _bananas("search", "--method", "random", "--budget", "3", "--storage", db, "--quiet").returncode == 0
    name = "nbgraph-cora-random-seed0"
    out = _bananas("export", "--storage", db, "--study-name", name, "--out", str(tmp_path / "no" / "x.jsonl"))
    _one_line_error(out, "does not exist", "create it first")
    log = tmp_path / "x.jsonl"
    assert _bananas("export", "--storage", db, "--study-name", name, "--out", str(log)).returncode == 0
    assert len(log.read_text().splitlines()) == 3 and not list(tmp_path.glob(".*.partial"))


def test_the_sampler_names_what_space_it_needs():
    from bananas import BananasSampler

    with pytest.raises(TypeError, match="bananas Space, e.g. bananas.get_space"):
        BananasSampler(space="nbgraph")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--epochs", "3"], "--epochs: only for --evaluator train"),
        (["--space", "nb201", "--evaluator", "train", "--simulated-cost", "1"], "--simulated-cost: only for table"),
        (["--method", "random", "--batch-size", "3"], "--batch-size: only for --method bananas or pool-random"),
        (["--warm-start-study", "old"], "--warm-start-study: only for --warm-start"),
        (["--grace-period", "9"], "--grace-period: only for --workers"),
        (["--mo-acquisition", "parego"], "--mo-acquisition: only for several --objectives"),
    ],
)
def test_flags_that_would_do_nothing_are_refused(tmp_path, args, needle):
    db = f"sqlite:///{tmp_path}/o.db"
    out = _bananas("search", "--budget", "2", "--storage", db, *args)
    _one_line_error(out, needle, "drop it")
    assert not (tmp_path / "o.db").exists()


def test_another_seed_on_an_existing_study_is_refused(tmp_path):
    db = f"sqlite:///{tmp_path}/s.db"
    common = ("search", "--method", "random", "--budget", "3", "--storage", db, "--study-name", "s", "--quiet")
    assert _bananas(*common).returncode == 0
    out = _bananas(*common, "--seed", "4")
    _one_line_error(out, "seed 0 (asked: 4)", "another --study-name")
    assert len(optuna.load_study(storage=db, study_name="s").trials) == 3


def test_a_failed_import_leaves_no_study_and_a_binary_file_is_named(tmp_path):
    import json

    db = f"sqlite:///{tmp_path}/i.db"
    assert _bananas("search", "--method", "random", "--budget", "3", "--storage", db, "--quiet").returncode == 0
    bad = tmp_path / "bad.jsonl"
    record = {"schema": 1, "space": "nbgraph", "dataset": "cora", "arch": "0-0-1-9|gcn-gcn-gcn-gcn"}
    bad.write_text(json.dumps({**record, "state": "COMPLETE", "value": 50.0}) + "\n")
    out = _bananas("import", "--storage", db, "--study-name", "new", "--log", str(bad))
    _one_line_error(out, "link")
    binary = tmp_path / "bin.jsonl"
    binary.write_bytes(bytes(range(256)) * 4)
    for extra in ((), ("--skip-malformed",)):
        out = _bananas("import", "--storage", db, "--study-name", "new", "--log", str(binary), *extra)
        assert out.returncode == 2 and "Traceback" not in out.stderr
        assert "not text (a binary file?)" in out.stderr or "holds no evaluations" in out.stderr
    assert optuna.get_all_study_names(storage=db) == ["nbgraph-cora-random-seed0"]  # nothing left behind


def test_storage_and_file_mistakes_name_the_file_and_the_fix(tmp_path):
    record = '{"op_code": 0, "worker_id": "w", "study_name": "s", "directions": [1]}\n'
    damaged = tmp_path / "d.log"
    damaged.write_text(record + "GARBAGE\n" + record)  # a damaged record in the middle
    out = _bananas("search", "--budget", "2", "--storage", str(damaged))
    _one_line_error(out, f"journal file '{damaged}'", "line 2 is not a JSON record", "restore it from a copy")
    damaged.write_text(record + "GARBAGE\n")  # ... or at the end, where a write would bury it
    out = _bananas("search", "--budget", "2", "--storage", str(damaged))
    _one_line_error(out, "cut-off record", f"truncate -s {len(record)} {damaged}")
    assert damaged.read_text() == record + "GARBAGE\n"
    out = _bananas("search", "--budget", "2", "--storage", f"sqlite:///{tmp_path}/w.db",
                   "--warm-start", f"sqlite:///{tmp_path}/old.db", "--warm-start-study", "nope")  # fmt: skip
    _one_line_error(out, "no study 'nope'", "--warm-start-study")
    (tmp_path / "afile").write_text("")
    out = _bananas(
        "benchmark", "--methods", "random", "--seeds", "1", "--budget", "2", "--out", str(tmp_path / "afile")
    )
    _one_line_error(out, "is a file", "give a folder")


def test_a_sampler_on_an_objective_of_another_space_says_so_once(cora):
    from bananas import BananasSampler
    from bananas.spaces import get_space

    nb201 = get_space("nb201", "cifar10")
    study = optuna.create_study(direction="maximize", sampler=BananasSampler(space=cora, seed=0))
    with pytest.warns(UserWarning, match="proposes nbgraph architectures; param 'edge_0_1'") as caught:
        study.optimize(lambda t: nb201.lookup(nb201.suggest(t))["valid_acc"], n_trials=3)
    assert sum("sampled at random" in str(w.message) for w in caught) == 1


def test_a_storage_that_refuses_writes_or_is_damaged_is_one_line(tmp_path):
    db = tmp_path / "ro.db"
    assert (
        _bananas("search", "--method", "random", "--budget", "2", "--storage", f"sqlite:///{db}", "--quiet").returncode
        == 0
    )
    before = db.read_bytes()
    out = _bananas(
        "search", "--method", "random", "--budget", "4", "--storage", f"sqlite:///file:{db}?mode=ro&uri=true"
    )
    _one_line_error(out, "refused a write", "readonly database", "writable")
    assert db.read_bytes() == before
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"SQLite format 3\x00" + bytes(200))
    out = _bananas("search", "--budget", "2", "--storage", f"sqlite:///{damaged}")
    _one_line_error(out, str(damaged), "file is not a database")


def test_an_unreachable_warm_start_storage_and_a_missing_driver_are_one_line(tmp_path):
    url = f"postgresql://bob:{SECRET}@127.0.0.1:1/nas"
    out = _bananas("search", "--budget", "2", "--storage", f"sqlite:///{tmp_path}/w.db", "--warm-start", url,
                   "--warm-start-study", "s")  # fmt: skip
    _one_line_error(out, "cannot warm-start", "127.0.0.1:1", "bob:***@")
    assert SECRET not in out.stderr
    out = _bananas("search", "--budget", "2", "--storage", f"mysql://bob:{SECRET}@127.0.0.1:1/nas")
    _one_line_error(out, "no database driver", "install its Python driver")
    assert "postgres" not in out.stderr.split("Give an")[0] and SECRET not in out.stderr


def _open_fresh(url: str) -> str:
    from bananas.storage import StorageError, open_storage

    try:
        open_storage(url)
        return "ok"
    except StorageError as err:
        return str(err)


def test_processes_creating_one_new_database_at_the_same_moment_all_open_it(tmp_path):
    """The tables are created by whichever process comes first; the others see 'table already exists'
    (or a duplicate version row) mid-creation and must open the database, not report it unusable."""
    import multiprocessing

    urls = [f"sqlite:///{tmp_path}/race{i}.db" for i in range(12) for _ in range(3)]
    # spawn: a fork of this process (torch and other threads already running) can deadlock in the child
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        outcomes = pool.map_async(_open_fresh, urls, chunksize=1).get(timeout=300)
    assert outcomes == ["ok"] * len(urls)
