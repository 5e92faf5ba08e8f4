"""One-shot methods (``darts``, ``cdarts``, ``random-ws``) as Optuna samplers: each trial's proposal is a
whole supernet search (``bananas.oneshot``), and the trial then trains the derived architecture standalone."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from numpy.random import SeedSequence
from optuna.study import Study
from optuna.trial import FrozenTrial

from bananas.evaluators import EvaluationFailed
from bananas.history import Proposal
from bananas.samplers._base import SpaceSampler
from bananas.spaces import Space
from bananas.trials import FAIL_REASON, SUPERNET_EPOCHS

if TYPE_CHECKING:
    from bananas.oneshot import OneShotConfig


class OneShotSampler(SpaceSampler):
    """Proposes the architecture a one-shot ``method`` derives from a supernet trained with ``trainer``
    (the training evaluator's) and a seed drawn from ``seed`` and the trial number: a budget above 1
    searches again with another seed (and searches of different ``seed`` never share one). The
    supernet's validation accuracy after each epoch becomes the trial's intermediate values (steps 1 to
    ``config.epochs``; the standalone training's epochs follow), and the user attrs
    ``supernet_seconds``, ``supernet_epochs`` and ``supernet_valid_acc`` (the derived architecture's
    inherited-weights accuracy) say what the search did. A derived architecture already evaluated is
    replaced by its best unevaluated neighbour by inherited accuracy. A non-finite supernet loss fails
    the trial with its reason."""

    def __init__(
        self,
        *,
        method: str,
        space: Space,
        trainer: Any,
        seed: int | None = None,
        config: OneShotConfig | None = None,
        constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
    ) -> None:
        from bananas.oneshot import OneShot

        super().__init__(space=space, seed=seed, constraints_func=constraints_func)
        self._shot = OneShot(method, space, trainer, config)  # type: ignore[arg-type]
        self._seed = seed or 0

    def _propose(self, study: Study, trial: FrozenTrial, space: Space) -> Proposal:
        from bananas.trainer import Diverged

        storage, trial_id = study._storage, trial._trial_id

        def on_epoch(epoch: int, accuracy: float) -> None:
            storage.set_trial_intermediate_value(trial_id, epoch, accuracy)

        storage.set_trial_user_attr(trial_id, SUPERNET_EPOCHS, self._shot.config.epochs)
        try:
            arch = self._shot.search(int(SeedSequence([self._seed, trial.number]).generate_state(1)[0]), on_epoch)
        except Diverged as err:
            storage.set_trial_user_attr(trial_id, FAIL_REASON, str(err))
            raise EvaluationFailed(str(err)) from None
        seen = self._history(study, trial, space).seen
        if space.key(arch) in seen:
            fresh = [a for a in space.neighbors(arch) if space.key(a) not in seen]
            arch = self._shot.space.canonical(max(fresh, key=self._shot.accuracy)) if fresh else arch
        attrs = {"supernet_seconds": self._shot.seconds, "supernet_valid_acc": self._shot.accuracy(arch)}
        return Proposal(arch, attrs)
