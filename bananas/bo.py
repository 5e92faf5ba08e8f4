"""One step of BANANAS (White et al., AAAI 2021), free of Optuna: the loop of the paper.

Given what has been evaluated (``History``), ``BananasStep.propose`` returns the next architecture:

1. Until ``n_startup`` are evaluated: the next of the initial design, else a random untried
   architecture (with a prior the observations agree with, a transfer prior or a fidelity: its
   favourite of random untried ones, ``bananas.transfer``, ``bananas.fidelity``).
2. Every ``batch_size`` new results (and at the first): **fit** the predictor on the encoded
   architectures and build the **candidate pool**: mutations of the best so far plus random ones
   (``whole_space``: every architecture of a table, one objective), minus everything tried or
   running. A prior's score is one more input, weighted by its agreement.
3. **Pick** the pool's best candidate by the acquisition, with everything the model has not seen
   (running, or evaluated since the fit) as pending: in one process the picks of a fit are the
   acquisition's greedy batch; with many workers each pick also accounts for what others started.
4. A pool used up is built afresh once; after that, a random untried architecture.

With several objectives (tuples, higher is better in each) or constraints (violations, at most 0
where one holds), one ensemble predicts every outcome from the encoding and op counts (outcomes the
space knows are computed), a fit comes every ``JOINT_BATCH_SIZE`` results, the pool mutates the
feasible Pareto set first, and every model-based acquisition is BoTorch's qLogNEHVI or qLogNParEGO,
or constrained qLogEI on one objective (``bananas.pareto``); ``RandomChoice`` stays model-free.

The Optuna glue (``bananas.samplers.BananasSampler``) turns a study's trials into a ``History`` and
the returned ``Proposal`` back into a trial.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import bananas.pareto as pareto
from bananas.acquisition import Acquisition, Selection
from bananas.encodings import Encoder, OpCountEncoder
from bananas.history import History, Proposal
from bananas.pareto import JointPredictor, as_rows, baseline_rows, select_joint
from bananas.pool import candidate_pool, random_unseen
from bananas.predictors import DEFAULT_PREDICTOR, Predictor, get_predictor
from bananas.spaces import Arch, Space, TabularSpace
from bananas.transfer import PRIOR_CANDIDATES, prior_weight, with_score

BATCH_SIZE = 10  # new results per fit with one objective
JOINT_BATCH_SIZE = 5  # with several outcomes: better at 75-100 queries on most benchmarks (docs/benchmarks.md)


@dataclass
class Fit:
    """A fitted predictor with its candidate pool, used until a batch's worth of new results."""

    model: Predictor | JointPredictor | None
    pool: list[Arch]
    keys: list[Hashable]  # the pool's canonical keys
    X_pool: np.ndarray
    members: np.ndarray | None  # the model's member predictions of the pool, made once per fit
    ranking: Selection | None  # acquisitions that rank once per fit: the pool in their order
    known: set[Hashable]  # keys of the architectures the model was fit on
    n_archs: int
    best_f: float  # nan with several outcomes
    iteration: int
    seconds: float
    Y: np.ndarray | None = None  # several outcomes: the observed ones (o x (m + k))
    m: int = 1  # objectives among them
    baseline: list[Arch] = field(default_factory=list)  # and the architectures improvement is measured against
    prior_weight: float = 0.0  # the prior's column weight in this fit


class BananasStep:
    """The BANANAS proposal over ``space`` (see the module docstring); it keeps the current fit.

    Args:
        encoder: fitted on ``space``.
        predictor, predictor_options: a name from ``bananas.predictors.PREDICTORS`` and its options.
        acquisition: how the pool's candidates are picked.
        n_startup, batch_size: random architectures first; results per fit (None: ``batch``'s default).
        pool_kwargs: passed to ``bananas.pool.candidate_pool``.
        initial_design: architectures evaluated first in the random start.
        mo_acquisition: the acquisition with several objectives, ``"nehvi"`` (BoTorch's
            qLogNEHVI, the default) or ``"parego"`` (qLogNParEGO).
        whole_space: on a space that lists its every architecture (a table's: NAS-Bench-Graph's
            26,206, NB-201's 4,930) and one objective, the pool is every untried architecture instead
            of the mutation pool (``pool_kwargs``); better on arxiv, worse on cora (docs/benchmarks.md).
        prior: scores of architectures, another dataset's (``bananas.transfer.PriorScore``) or a
            fidelity's (``bananas.fidelity``), used as far as the observations agree with them
            (``bananas.transfer.prior_weight``): start picks and one more input of the predictor.
    """

    def __init__(
        self,
        space: Space,
        encoder: Encoder,
        acquisition: Acquisition,
        *,
        predictor: str = DEFAULT_PREDICTOR,
        predictor_options: dict[str, Any] | None = None,
        n_startup: int = 10,
        batch_size: int | None = None,
        pool_kwargs: dict[str, Any] | None = None,
        initial_design: Sequence[Arch] = (),
        mo_acquisition: str = pareto.DEFAULT_MO_ACQUISITION,
        whole_space: bool = False,
        prior: Callable[[Sequence[Arch]], np.ndarray] | None = None,
    ) -> None:
        if n_startup < 1 or (batch_size is not None and batch_size < 1):
            raise ValueError("n_startup_trials and batch_size must be at least 1")
        self.space = space
        self.encoder = encoder
        self.op_counts = OpCountEncoder().fit(space) if space.op_names else None
        self.acquisition = acquisition
        self.predictor = predictor
        self.predictor_options = predictor_options or {}
        get_predictor(predictor, **self.predictor_options)  # fail early on a bad name or option
        self.n_startup = n_startup
        self.batch_size = batch_size
        self.pool_kwargs = pool_kwargs or {}
        self.initial_design = list(initial_design)
        if mo_acquisition not in pareto.MULTI_OBJECTIVE:
            choices = ", ".join(pareto.MULTI_OBJECTIVE)
            raise ValueError(f"mo_acquisition must be one of {choices}, got {mo_acquisition!r}")
        self.mo_acquisition = mo_acquisition
        self.fit: Fit | None = None
        self.whole_space = whole_space
        self.prior = prior
        self._listed: tuple[list[Hashable], list[Arch], np.ndarray] | None = None  # keys, archs, encodings

    def propose(
        self, history: History, rng: np.random.Generator, refresh: Callable[[], History] | None = None
    ) -> Proposal:
        """Return the next architecture to evaluate. ``refresh`` reads the history again after a fit
        (other workers may have claimed candidates while the model fit)."""
        space = self.space
        if len(history.archs) < self.n_startup:
            if (weight := self._prior_weight(history)) > 0:
                return Proposal(self._prior_favourite(history, rng), {"iteration": 0, "prior_weight": weight})
            untried = [a for a in self.initial_design if space.key(a) not in history.seen]
            return Proposal(untried[0] if untried else random_unseen(space, history.seen, rng), {"iteration": 0})
        fitted = None
        if self.fit is None or len(history.archs) - self.fit.n_archs >= self.batch(history):
            fitted = self.fit = self.fit_model(history, rng)
            history = refresh() if refresh is not None else history
        start = time.perf_counter()
        proposal = self.pick(history, rng)
        if proposal is None and fitted is None:  # the pool is used up: a fresh one
            fitted = self.fit = self.fit_model(history, rng)
            start = time.perf_counter()
            proposal = self.pick(history, rng)
        if proposal is None:
            return Proposal(random_unseen(space, history.seen, rng))
        if fitted is not None:
            proposal.attrs["bo_seconds"] = fitted.seconds + time.perf_counter() - start
            proposal.attrs["fit_seconds"] = fitted.seconds
        return proposal

    def fit_model(self, history: History, rng: np.random.Generator) -> Fit:
        """Build the candidate pool and fit the predictor on the evaluated architectures."""
        start = time.perf_counter()
        weight, encoded = self._prior_weight(history), None
        # several outcomes: the mutation pool, the one measured with them (docs/benchmarks.md, issue 15)
        if self.whole_space and isinstance(self.space, TabularSpace) and not history.joint:
            pool, keys, encoded = self._untried(history.seen)
        else:
            pool = candidate_pool(self.space, history.best_first(), history.seen, rng, **self.pool_kwargs)
            keys = [self.space.key(a) for a in pool]
        X_pool = self.features(pool, weight, joint=history.joint, encoded=encoded) if pool else np.empty((0, 0))
        model: Predictor | JointPredictor | None = None
        m = history.n_objectives
        Y = history.outcomes() if history.joint else None
        baseline = []
        if self.acquisition.uses_model and pool:
            seed = int(rng.integers(2**31))
            X = self.features(history.archs, weight, joint=history.joint)
            if Y is not None:
                make = lambda j: get_predictor(self.predictor, seed=seed + j, **self.predictor_options)  # noqa: E731
                encode = functools.partial(self.features, weight=weight, joint=True)
                model = JointPredictor(encode, make, Y.shape[1], history.exact).fit(X, Y)
                baseline = [history.archs[i] for i in baseline_rows(Y, m)]
            else:
                model = get_predictor(self.predictor, seed=seed, **self.predictor_options)
                model.fit(X, np.asarray(history.values))
        members = None
        if model is not None:
            members = model.predict(pool, X_pool) if isinstance(model, JointPredictor) else model.predict(X_pool)
        ranking = None
        if self.acquisition.ranks_once_per_fit and pool and not history.joint:
            ranking = self.acquisition.choose(members, len(pool), len(pool), best_f=0.0, rng=rng)
        return Fit(
            model=model,
            pool=pool,
            keys=keys,
            X_pool=X_pool,
            members=members,
            ranking=ranking,
            known={self.space.key(a) for a in history.archs},
            n_archs=len(history.archs),
            best_f=float("nan") if history.joint else max(history.values),
            iteration=1 + (len(history.archs) - self.n_startup) // self.batch(history),
            seconds=time.perf_counter() - start,
            Y=Y,
            m=m,
            baseline=baseline,
            prior_weight=weight,
        )

    def batch(self, history: History) -> int:
        """New results per fit: ``batch_size``, else the default for ``history``'s number of outcomes."""
        return self.batch_size or (JOINT_BATCH_SIZE if history.joint else BATCH_SIZE)

    def features(
        self, archs: Sequence[Arch], weight: float = 0.0, joint: bool = False, encoded: np.ndarray | None = None
    ) -> np.ndarray:
        """Return the predictor's ``n x d`` inputs of ``archs``: their encoding (``encoded``, if made); for several
        outcomes (``joint``) each op's count too (costs add up over ops); with a prior its score times ``weight``."""
        X = self.encoder.transform(archs) if encoded is None else encoded
        if joint and self.op_counts is not None:
            X = np.hstack([X, self.op_counts.transform(archs)])
        return with_score(X, self._prior_scores(archs, weight), weight) if self.prior is not None else X

    def _prior_scores(self, archs: Sequence[Arch], weight: float) -> np.ndarray:
        """The prior's scores of ``archs``; zeros at weight 0 (a column the ensemble drops: no scoring cost)."""
        assert self.prior is not None
        return self.prior(archs) if weight > 0 else np.zeros(len(archs))

    def _prior_weight(self, history: History) -> float:
        """The prior's weight on what ``history`` observed (0 without a prior)."""
        if self.prior is None or not history.archs:
            return 0.0
        return prior_weight(self.prior(history.archs), as_rows(history.values)[:, 0])

    def _prior_favourite(self, history: History, rng: np.random.Generator) -> Arch:
        """The architecture the prior scores highest of ``PRIOR_CANDIDATES`` random untried ones."""
        assert self.prior is not None
        space = self.space
        archs = space.unique((space.sample(rng) for _ in range(PRIOR_CANDIDATES)), exclude=history.seen)
        return archs[int(np.argmax(self.prior(archs)))] if archs else random_unseen(space, history.seen, rng)

    def _untried(self, seen: set[Hashable]) -> tuple[list[Arch], list[Hashable], np.ndarray]:
        """Every architecture of the space's table not in ``seen``, its key and encoding (encoded once)."""
        if self._listed is None:
            by_key = self.space.all_archs()  # type: ignore[attr-defined]
            self._listed = list(by_key), list(by_key.values()), self.encoder.transform(list(by_key.values()))
        keys, archs, X = self._listed
        free = [i for i, k in enumerate(keys) if k not in seen]
        return [archs[i] for i in free], [keys[i] for i in free], X[free]

    def pick(self, history: History, rng: np.random.Generator) -> Proposal | None:
        """Pick one free candidate of the current fit's pool by acquisition; None if none is free.

        What the model has not seen counts as pending: running architectures and
        those evaluated since the fit.
        """
        fit = self.fit
        assert fit is not None, "fit_model before pick"
        rows = [i for i, key in enumerate(fit.keys) if key not in history.seen]
        if not rows:
            return None
        if fit.ranking is not None:  # the best of the fit's ranking that is still free
            free = set(rows)
            j = next(j for j, i in enumerate(fit.ranking.indices) if i in free)
            row = int(fit.ranking.indices[j])
            values = (fit.ranking.mean[j], fit.ranking.std[j], fit.ranking.value[j])
        else:
            pending = history.pending + [a for a in history.archs if self.space.key(a) not in fit.known]
            if isinstance(fit.model, JointPredictor):
                assert fit.Y is not None and fit.members is not None
                pool = [fit.pool[i] for i in rows]
                sel = select_joint(
                    fit.model,
                    pool,
                    fit.X_pool[rows],
                    1,
                    pool_members=fit.members[:, rows],
                    Y=fit.Y,
                    m=fit.m,
                    baseline=fit.baseline,
                    pending=pending,
                    acquisition=self.mo_acquisition,
                    rng=rng,
                )
            else:
                pending_members = None
                if pending and fit.model is not None and self.acquisition.reads_pending:
                    pending_members = fit.model.predict(self.features(pending, fit.prior_weight))
                members = fit.members[:, rows] if fit.members is not None else None
                sel = self.acquisition.choose(
                    members, len(rows), 1, best_f=fit.best_f, pending=pending_members, rng=rng
                )
            row = rows[sel.indices[0]]
            values = (sel.mean[0], sel.std[0], sel.value[0])
        attrs: dict[str, Any] = {"iteration": fit.iteration}
        if self.prior is not None:
            attrs["prior_weight"] = fit.prior_weight
        for name, value in zip(("pred_mean", "pred_std", "acq_value"), values, strict=True):
            if np.isfinite(value):
                attrs[name] = float(value)
        return Proposal(fit.pool[row], attrs)
