"""The SHAP backend's engines: which shap explainer explains a batch of rows, and what falls back to what.

See :mod:`ipyexplain.backends.shap_` for the rules; this module builds them (:class:`Setup`): it
validates the arguments, probes the model, picks the explainer and builds its :class:`Engine` with
the fallbacks. What an engine is lives in :mod:`._shap_engine`, the output explained and its units in
:mod:`._shap_outputs`, and what a model is recognised as in :mod:`._shap_models`.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import shap

from ..adapters import Predictor, Table, as_predictor, predict_checked
from ._shap_data import Codec, GlobalRNG, background_rows, is_numeric
from ._shap_engine import Engine, first_sentence_with, raised_by_shap, warn
from ._shap_models import (
    EXPLAINERS,
    MODEL_AGNOSTIC,
    PARTITION_ABOVE,
    bare_model,
    is_torch_module,
    linear_ok,
    looks_like_trees,
)
from ._shap_outputs import OutputPick, from_explanation, per_row, tree_units


class Setup:
    """Validates the arguments and builds the engine (what explains a batch of rows)."""

    def __init__(self, model: Any, table: Table, explainer: Any, output: Any, background: Any,
                 model_output: str | None, max_evals: int | None, seed: int | None, fallback: str | None) -> None:
        self.model, self.table, self.output, self.seed, self.fallback = model, table, output, seed, fallback
        self.max_evals, self.model_output, self.background_arg = max_evals, model_output, background
        self.predictor: Predictor | None = None
        self._background: Table | None = None
        if isinstance(explainer, str):
            name = explainer.lower()
            if name not in EXPLAINERS:
                raise ValueError(f"unknown explainer {explainer!r}; valid: {', '.join(EXPLAINERS)} "
                                 "or a shap explainer you built")
            if model is None:
                raise TypeError(f"explainer={explainer!r} needs the model to explain; got model=None")
        elif isinstance(explainer, shap.Explainer):
            name = "instance"
        else:
            raise TypeError(f"explainer must be one of {', '.join(EXPLAINERS)} or a shap.Explainer instance; "
                            f"got {type(explainer).__name__}")
        if model_output is not None and name not in ("auto", "tree"):
            raise ValueError(f"model_output= is an option of TreeExplainer; explainer={explainer!r} has none")
        if isinstance(background, shap.maskers.Masker) and name not in (*MODEL_AGNOSTIC, "auto"):
            raise TypeError(f"a shap masker as background= works with {', '.join(MODEL_AGNOSTIC)}; "
                            f"explainer={explainer!r} needs rows")
        if background is not None and not isinstance(background, shap.maskers.Masker):
            self.background()  # validated here, before anything can fall back
        if model is not None:
            self._probe()
        self.engine = self._build(name, explainer)

    # ------------------------------------------------------------------ model and output
    def _probe(self) -> None:
        """Predict on a few rows (and the rows with NaN): a model that cannot take X fails here, named."""
        try:
            predictor = as_predictor(self.model)
        except TypeError:
            if not looks_like_trees(self.model):
                raise
            return  # e.g. a raw xgboost.Booster: TreeExplainer takes it, our predictor does not
        everything = dataclasses.replace(predictor, output=None)
        table = self.table
        probe = list(range(min(table.n_rows, 32)))
        if table.nan_columns():
            missing = np.zeros(table.n_rows, dtype=bool)
            for j in range(table.n_features):
                col = table.column(j)
                missing |= np.isnan(col) if col.dtype.kind == "f" else np.array([v != v for v in col])
            probe = sorted(set(probe) | set(np.flatnonzero(missing)[:32].tolist()))
        out = predict_checked(everything, table, table.take(np.asarray(probe)))
        k = 1 if out.ndim == 1 else out.shape[1]
        names = everything.output_names
        if self.output is not None:
            target = everything.select(self.output).output
        elif predictor.output is not None:
            target = predictor.output  # the positive class of a binary classifier
        elif k == 1:
            target = 0
        else:
            what = "classes" if everything.kind == "classifier" else "outputs"
            choices = everything.classes if everything.kind == "classifier" else names
            shown = [c.item() if isinstance(c, np.generic) else c for c in choices]
            raise ValueError(f"{type(bare_model(self.model)).__name__} has {k} {what} {shown}: pass output= one "
                             f"of them (SHAP values explain one output)")
        self.predictor = everything.select(target)
        self.target = int(target) if target is not None else 0

    def _pick(self, units: str | None) -> OutputPick:
        if self.predictor is None:
            return OutputPick(None, [], units, output_spec=self.output)
        p = self.predictor
        binary = p.kind == "classifier" and len(p.classes) == 2
        return OutputPick(self.target, list(p.output_names), units, binary=binary)

    def _agnostic_units(self) -> str | None:
        kind = self.predictor.kind if self.predictor else None
        return {"classifier": "probability", "regressor": "prediction"}.get(kind or "")

    def background(self) -> Table:
        if self._background is None:
            self._background = background_rows(self.background_arg, self.table, self.seed)
        return self._background

    # ------------------------------------------------------------------ choosing
    def _build(self, name: str, explainer: Any) -> Engine:
        if name == "instance":
            return self._instance(explainer)
        model, bare = self.model, bare_model(self.model)
        if name == "auto":
            if is_torch_module(model) or not is_numeric(self.table):
                return self._agnostic(self._agnostic_name())
            if looks_like_trees(bare) or linear_ok(bare):
                kind = "tree" if looks_like_trees(bare) else "linear"
                try:
                    return self._tree(bare, chosen=True) if kind == "tree" else self._linear(bare)
                except Exception as exc:
                    if not raised_by_shap(exc) or self.model_output is not None:
                        raise
                    name = self._agnostic_name()
                    warn(f"shap's {'Tree' if kind == 'tree' else 'Linear'}Explainer cannot explain this "
                         f"{type(bare).__name__} ({exc}); using the {name.title()} explainer on its "
                         f"predictions instead")
                    return self._agnostic(name)
            if self.model_output is not None:
                raise ValueError(f"model_output= is an option of TreeExplainer; {type(bare).__name__} is not a "
                                 "tree model")
            return self._agnostic(self._agnostic_name())
        if name in ("tree", "linear"):
            if type(model).__name__ == "Pipeline" and bare is model:
                raise TypeError(f"explainer={name!r} needs the {name} model itself, but this Pipeline transforms X "
                                f"first ({', '.join(n for n, _ in model.steps[:-1])}); use explainer='auto' or "
                                f"one of {', '.join(MODEL_AGNOSTIC)}")
            if not is_numeric(self.table):
                self.table.numeric()  # raises TypeError naming the columns
            try:
                return self._tree(bare) if name == "tree" else self._linear(bare)
            except (shap.utils._exceptions.InvalidModelError, NotImplementedError) as exc:
                raise TypeError(f"explainer={name!r} does not fit a {type(bare).__name__}: {exc} Use "
                                f"explainer='auto' or one of {', '.join(MODEL_AGNOSTIC)}") from exc
        if name in ("deep", "gradient"):
            if not is_torch_module(model):
                raise TypeError(f"explainer={name!r} explains a torch.nn.Module; got a {type(model).__name__}. "
                                f"Use explainer='auto' or one of {', '.join(MODEL_AGNOSTIC)}")
            self.table.numeric()
            return self._torch(name, model)
        return self._agnostic(name)

    def _agnostic_name(self) -> str:
        return "partition" if self.table.n_features > PARTITION_ABOVE else "permutation"

    # ------------------------------------------------------------------ tree / linear
    def _tree(self, bare: Any, *, path_dependent: bool = False, chosen: bool = False) -> Engine:
        kwargs: dict[str, Any] = {}
        if self.model_output is not None:
            if self.model_output == "log_loss":
                raise ValueError("model_output='log_loss' needs the labels y; it is not supported here")
            kwargs["model_output"] = self.model_output
        background = None
        if not path_dependent and (self.background_arg is not None or self.model_output not in (None, "raw")):
            background = self.background().numeric()
        if path_dependent:
            kwargs["feature_perturbation"] = "tree_path_dependent"
        explainer = shap.TreeExplainer(bare, background, **kwargs)
        table = self.table

        def call(a: int, b: int) -> tuple[Any, Any]:
            return from_explanation(explainer(table.take(slice(a, b))))

        kind = "tree-path-dependent" if path_dependent else "tree"
        return Engine(kind, call, self._pick(tree_units(explainer, self.predictor)), self._data(),
                      n_features=table.n_features,
                      fallbacks=None if path_dependent else self._tree_fallback(explainer, bare, chosen=chosen))

    def _tree_fallback(self, explainer: Any, bare: Any, *, chosen: bool = False,
                       ) -> Callable[[Exception], Engine | None] | None:
        """What replaces a failing TreeExplainer (``chosen``: picked by "auto", not named by the user)."""
        if self.fallback is None:
            return None

        def replace(exc: Exception) -> Engine | None:
            additivity = "additivity" in str(exc).lower()
            if not additivity and not (chosen and raised_by_shap(exc)):
                return None
            name = type(bare).__name__ if bare is not None else "model"
            if not additivity:
                why = f"shap's TreeExplainer failed on this {name} ({type(exc).__name__}: {exc}). "
            else:
                why = (f"shap's TreeExplainer failed its additivity check on this {name}: "
                       f"{first_sentence_with(str(exc), 'sum of the SHAP values')}. ")
            raw = getattr(explainer.model, "model_output", "raw") == "raw"
            interventional = getattr(explainer, "feature_perturbation", "") == "interventional"
            if additivity and self.fallback == "auto" and raw and interventional and bare is not None:
                engine = self._tree(bare, path_dependent=True)
                warn(why + "Its interventional algorithm (used with a background) gives wrong values on deep "
                     "trees such as bootstrapped random forests. Using TreeExplainer(feature_perturbation="
                     "'tree_path_dependent') instead: exact and additive, integrating over the trees' training "
                     "cover rather than `background`. Pass fallback='permutation' to keep the background, or "
                     "fallback=None to raise.")
                return engine
            if self.predictor is None:
                return None
            engine = self._agnostic("permutation")
            warn(why + f"Using the Permutation explainer on the model's predictions instead "
                 f"({engine.pick.units or 'model output'}, background of {self.background().n_rows} rows). "
                 "Pass fallback=None to raise.")
            return engine

        return replace

    def _linear(self, bare: Any) -> Engine:
        if not linear_ok(bare):
            raise shap.utils._exceptions.InvalidModelError(f"{type(bare).__name__} is not a linear model with an "
                                                           "identity link (coef_, intercept_)")
        explainer = shap.LinearExplainer(bare, self.background().numeric())
        table = self.table

        def call(a: int, b: int) -> tuple[Any, Any]:
            rows = table.take(slice(a, b))
            return explainer.shap_values(rows), per_row(explainer.expected_value, b - a)  # == explainer(rows)

        classifier = hasattr(bare, "predict_proba") and hasattr(bare, "classes_")
        units = ("log-odds" if len(bare.classes_) <= 2 else "logit") if classifier else \
            ("margin" if hasattr(bare, "classes_") else "prediction")
        return Engine("linear", call, self._pick(units), self._data(), n_features=table.n_features)

    # ------------------------------------------------------------------ model-agnostic
    def _agnostic(self, name: str) -> Engine:
        if self.predictor is None:
            raise TypeError(f"explainer={name!r} needs a model with predictions; got {type(self.model).__name__}")
        table, predictor = self.table, self.predictor
        masker = self.background_arg if isinstance(self.background_arg, shap.maskers.Masker) else None
        codec = None if masker is not None or (not table.is_frame and is_numeric(table)) else \
            Codec(table, self.background())
        if codec is None:
            def f(rows: Any) -> np.ndarray:
                return predict_checked(predictor, table, rows)
            rows_of: Callable[[int, int], Any] = lambda a, b: table.take(slice(a, b))  # noqa: E731
            bg: Any = None if masker is not None else self.background().rows
        else:
            def f(rows: Any) -> np.ndarray:
                return predict_checked(predictor, table, codec.decode(rows))
            encoded = codec.encoded
            rows_of = lambda a, b: encoded[a:b]  # noqa: E731
            bg = codec.background
        rng = GlobalRNG(self.seed)
        n_features = table.n_features
        evals = self.max_evals
        with rng.active():
            if name == "permutation":
                m = masker or shap.maskers.Independent(bg, max_samples=len(bg))
                explainer: Any = shap.PermutationExplainer(f, m, seed=self.seed)
                options: dict[str, Any] = {"max_evals": evals or max(500, 2 * n_features + 1), "silent": True}
            elif name == "partition":
                m = masker or shap.maskers.Partition(bg, max_samples=len(bg), clustering="correlation")
                explainer = shap.PartitionExplainer(f, m)
                options = {"max_evals": evals or 500, "silent": True}
            elif name == "exact":
                if n_features > 30:
                    raise ValueError(f"explainer='exact' evaluates the model on all 2^{n_features} feature subsets per "
                                     "row; use 'permutation' or 'partition' for this many features")
                explainer = shap.ExactExplainer(f, masker or shap.maskers.Independent(bg, max_samples=len(bg)))
                options = {"silent": True, **({"max_evals": evals} if evals else {})}
            else:
                if masker is not None:
                    raise TypeError("explainer='kernel' takes background rows, not a shap masker")
                explainer = shap.KernelExplainer(f, bg)
        if name == "kernel":
            def call(a: int, b: int) -> tuple[Any, Any]:
                values = explainer.shap_values(rows_of(a, b), nsamples=evals or "auto", silent=True)
                return values, per_row(explainer.expected_value, b - a)
        else:
            def call(a: int, b: int) -> tuple[Any, Any]:
                return from_explanation(explainer(rows_of(a, b), **options))

        data = codec.encoded if codec is not None else self._data()
        return Engine(name, call, self._pick(self._agnostic_units()), data, codec.display(table) if codec else None,
                      first_batch=4 if name != "kernel" else 2, rng=rng, n_features=n_features)

    # ------------------------------------------------------------------ torch
    def _torch(self, name: str, module: Any) -> Engine:
        import torch

        first = next(module.parameters(), None)
        device = first.device if first is not None else torch.device("cpu")
        dtype = first.dtype if first is not None and first.is_floating_point() else torch.float32
        numeric = self.table.numeric()

        def tensor(rows: np.ndarray) -> Any:
            return torch.as_tensor(rows, device=device).to(dtype)

        was_training = module.training
        bg = tensor(self.background().numeric())
        predictor = self.predictor
        assert predictor is not None
        if name == "deep":
            explainer: Any = shap.DeepExplainer(module, bg)

            def call(a: int, b: int) -> tuple[Any, Any]:
                return explainer.shap_values(tensor(numeric[a:b])), per_row(explainer.expected_value, b - a)
            rng = None
        else:
            explainer = shap.GradientExplainer(module, bg)
            expected = dataclasses.replace(predictor, output=None).outputs(bg.detach().cpu().numpy()).mean(0)
            seed = 0 if self.seed is None else self.seed

            def call(a: int, b: int) -> tuple[Any, Any]:
                values = explainer.shap_values(tensor(numeric[a:b]), nsamples=self.max_evals or 200, rseed=seed + a)
                return values, per_row(expected, b - a)
            rng = GlobalRNG(self.seed)

        def restore() -> None:
            module.train(was_training)

        fallbacks = None
        if name == "deep" and self.fallback is not None:
            def fallbacks(exc: Exception) -> Engine | None:
                if "sum up to the model's output" not in str(exc):
                    return None
                warn(f"shap's DeepExplainer failed its additivity check on this {type(module).__name__} "
                     f"({first_sentence_with(str(exc), 'sum difference')}): an operation in the network is not "
                     "supported by DeepLIFT. Using the Permutation explainer on the model instead; pass "
                     "fallback=None to raise.")
                return self._agnostic("permutation")

        return Engine(name, call, self._pick(None), self._data(), rng=rng, fallbacks=fallbacks, on_close=restore,
                      n_features=self.table.n_features)

    # ------------------------------------------------------------------ a built explainer
    def _instance(self, explainer: Any) -> Engine:
        table = self.table
        kind = type(explainer).__name__.removesuffix("Explainer").lower() or "explainer"
        if isinstance(explainer, (shap.DeepExplainer, shap.GradientExplainer)):
            import torch

            inner = explainer.explainer
            module = inner.model
            first = next(module.parameters(), None)
            numeric = table.numeric()

            def tensor(rows: np.ndarray) -> Any:
                return torch.as_tensor(rows, device=first.device if first is not None else "cpu").to(
                    first.dtype if first is not None else torch.float32)

            if isinstance(explainer, shap.DeepExplainer):
                def call(a: int, b: int) -> tuple[Any, Any]:
                    return explainer.shap_values(tensor(numeric[a:b])), per_row(explainer.expected_value, b - a)
            else:
                with torch.no_grad():
                    data = inner.data if isinstance(inner.data, list) else [inner.data]
                    expected = module(*data).detach().float().cpu().numpy().mean(0)

                def call(a: int, b: int) -> tuple[Any, Any]:
                    return explainer.shap_values(tensor(numeric[a:b])), per_row(expected, b - a)
            units: str | None = None
        elif isinstance(explainer, shap.LinearExplainer):
            def call(a: int, b: int) -> tuple[Any, Any]:  # == explainer(rows), vectorised
                return explainer.shap_values(table.take(slice(a, b))), per_row(explainer.expected_value, b - a)
            units = None
        else:
            takes_silent = "silent" in inspect.signature(explainer.__call__).parameters

            def call(a: int, b: int) -> tuple[Any, Any]:
                rows = table.take(slice(a, b))
                return from_explanation(explainer(rows, silent=True) if takes_silent else explainer(rows))
            units = tree_units(explainer, self.predictor) if isinstance(explainer, shap.TreeExplainer) else \
                self._agnostic_units() if kind in MODEL_AGNOSTIC else None
        engine = Engine(kind, call, self._pick(units), self._data(), rng=GlobalRNG(capture=True),
                        n_features=table.n_features, first_batch=16 if kind in ("tree", "linear") else 4)
        if isinstance(explainer, shap.TreeExplainer):
            model = bare_model(self.model) if self.model is not None else \
                getattr(explainer.model, "original_model", None)
            engine.fallbacks = self._tree_fallback(explainer, model)
        return engine

    def _data(self) -> Any:
        rows = self.table.rows
        return rows.to_numpy() if self.table.is_frame else rows
