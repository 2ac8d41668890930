"""The generation view's thread workers and the messages they post: recipes, resumable batches, estimate, run."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from textual import work
from textual.message import Message

from core.generation.batch import BatchResult, Estimate
from core.generation.engine import Progress
from core.safe_text import one_line
from store.generation import estimate, resume_batch, run_batch
from tui.views.base import View
from tui.views.generation_form import (
    RecipeChoice,
    ResumableBatch,
    error_text,
    load_recipes,
    load_resumable,
    resume_overrides,
    spec_from_form,
)


@dataclass
class RecipesLoaded(Message):
    """The recipes were read (or reading them failed)."""

    recipes: list[RecipeChoice]
    error: str | None = None


@dataclass
class ResumableLoaded(Message):
    """The generation batches that stopped early were read."""

    generation: int
    batches: list[ResumableBatch]


@dataclass
class EstimateReady(Message):
    """An estimate finished: the estimate, or why the form cannot run."""

    generation: int
    estimate: Estimate | None
    error: str | None = None


@dataclass
class GenerationProgressed(Message):
    """The running batch reported its counters."""

    run: int
    progress: Progress


@dataclass
class GenerationFinished(Message):
    """A run ended: its result, or the error that stopped it from starting or finishing."""

    run: int
    result: BatchResult | None
    error: str | None = None


class GenerationWorkers(View):
    """Every store and engine call of the generation view, each in a thread worker that posts a message back."""

    def __init__(self) -> None:
        """Start with no store call running."""
        super().__init__()
        self._busy = 0
        self._idle = threading.Condition()

    @contextmanager
    def store_call(self) -> Iterator[None]:
        """Count a worker's use of the store, so that closing the view can wait for it."""
        with self._idle:
            self._busy += 1
        try:
            yield
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def wait_for_store_calls(self, timeout: float) -> None:
        """Wait up to `timeout` seconds for every worker's store call to end."""
        with self._idle:
            self._idle.wait_for(lambda: self._busy == 0, timeout)

    @work(thread=True, group="generation-recipes", exclusive=True, exit_on_error=False)
    def load_recipes(self) -> None:
        """Read every recipe (adding the built-in ones when missing)."""
        try:
            with self.store_call():
                self.post_message(RecipesLoaded(load_recipes(self.store)))
        except Exception as error:  # noqa: BLE001 - shown in the view instead of crashing the app
            self.post_message(RecipesLoaded([], one_line(str(error), 200)))

    @work(thread=True, group="generation-resumable", exit_on_error=False)
    def read_resumable(self, generation: int) -> None:
        """Read the generation batches that stopped early."""
        with self.store_call(), self.store.cursor() as cur:
            self.post_message(ResumableLoaded(generation, load_resumable(cur)))

    @work(thread=True, group="generation-estimate", exclusive=True, exit_on_error=False)
    def run_estimate(self, generation: int, recipe: RecipeChoice, values: dict[str, str], seed: int) -> None:
        """Render and price the batch the form describes, without sending anything."""
        try:
            with self.store_call():
                found = estimate(self.store, spec_from_form(recipe, values, seed))
        except Exception as error:  # noqa: BLE001 - a form or recipe problem, shown where the estimate goes
            self.post_message(EstimateReady(generation, None, error_text(error)))
            return
        self.post_message(EstimateReady(generation, found))

    @work(thread=True, group="generation-run", exit_on_error=False)
    def run_generation(self, run: int, recipe: RecipeChoice | None, values: dict[str, str], seed: int,
                       resume_id: int | None, cancel: threading.Event) -> None:
        """Run a new batch (or resume one) to its end, a cancel, a budget stop or a fatal error."""

        def progressed(progress: Progress) -> None:
            self.post_message(GenerationProgressed(run, progress))

        try:
            with self.store_call():
                if resume_id is not None:
                    result = resume_batch(self.store, resume_id, overrides=resume_overrides(values),
                                          on_progress=progressed, cancel=cancel)
                else:
                    assert recipe is not None
                    result = run_batch(self.store, spec_from_form(recipe, values, seed), on_progress=progressed,
                                       cancel=cancel)
        except Exception as error:  # noqa: BLE001 - reported in the view; the batch stays resumable
            self.post_message(GenerationFinished(run, None, error_text(error)))
            return
        self.post_message(GenerationFinished(run, result))
