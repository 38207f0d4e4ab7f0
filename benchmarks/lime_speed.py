"""LIME: ipyexplain's streaming implementation vs the `lime` package, same run, same instances, same work.

Three cases, each explaining several instances with the same number of perturbation samples:

- tabular: RandomForestClassifier (100 trees) on breast cancer (569 x 30), 5,000 samples, quartile
  discretisation, 10 features (lime's defaults);
- text: TF-IDF + LogisticRegression pipeline, ~60-word documents, 5,000 samples, 10 features;
- image: a 224 x 224 RGB image, a vectorised numpy classifier, 1,000 samples, the *same* SLIC superpixels
  for both (lime gets them through ``segmentation_fn``), lime's ``batch_size`` set to our chunk size (100).

Per instance, ours and lime's run in alternating order ``--rounds`` times; the median per instance is
summed over the instances. ``lime``'s explainer objects are built once, outside the timing (as a user
would); ours recompute the training statistics in every call, which is inside the timing. Ratio =
ours / lime (< 1: ours is faster). Also: seconds until our first partial result, and how many of
lime's top-5 features (words, superpixels) ours has in its top 5.

    .venv/bin/python benchmarks/lime_speed.py [--quick] [--rounds 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from lime.lime_image import LimeImageExplainer
from lime.lime_tabular import LimeTabularExplainer
from lime.lime_text import LimeTextExplainer
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import machine

from ipyexplain.backends import _lime_image, run_to_end
from ipyexplain.backends import lime as ours_lime

RESULTS = Path(__file__).resolve().parent / "results"


def top5(values: np.ndarray) -> set[int]:
    return set(np.argsort(-np.abs(values))[:5].tolist())


class Case:
    name: str
    samples: int
    instances: list[Any]

    def stream(self, instance: Any) -> Any: ...
    def theirs(self, instance: Any) -> Any: ...
    def overlap(self, ours: Any, theirs: Any) -> int: ...


class Tabular(Case):
    def __init__(self, n_instances: int) -> None:
        data = load_breast_cancer()
        self.X, self.names = data.data, list(data.feature_names)
        self.model = RandomForestClassifier(100, random_state=0, n_jobs=1).fit(self.X, data.target)
        self.explainer = LimeTabularExplainer(self.X, feature_names=self.names, random_state=0)
        self.samples = 5000
        self.instances = [self.X[i] for i in np.linspace(0, len(self.X) - 1, n_instances).astype(int)]
        self.name = f"tabular: RandomForest(100 trees), breast cancer 569 x 30, {self.samples:,} samples"

    def stream(self, instance: Any) -> Any:
        return ours_lime.stream(self.model, self.X, instance, feature_names=self.names, num_samples=self.samples,
                                random_state=0)

    def theirs(self, instance: Any) -> Any:
        return self.explainer.explain_instance(instance, self.model.predict_proba, num_features=10,
                                               num_samples=self.samples)

    def overlap(self, ours: Any, theirs: Any) -> int:
        return len(top5(ours.values) & {j for j, _ in theirs.as_map()[1][:5]})


class Text(Case):
    def __init__(self, n_instances: int) -> None:
        rng = np.random.default_rng(0)
        filler = [f"w{i}" for i in range(300)]
        cues = {1: ["excellent", "superb", "moving"], 0: ["awful", "boring", "clumsy"]}
        docs, labels = [], []
        for i in range(2000):
            words = list(rng.choice(filler, 60))
            for cue in rng.choice(cues[i % 2], 2):
                words.insert(int(rng.integers(0, len(words))), str(cue))
            docs.append(" ".join(words))
            labels.append(i % 2)
        self.model = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000)).fit(docs, labels)
        self.explainer = LimeTextExplainer(random_state=0)
        self.samples = 5000
        self.instances = docs[:n_instances]
        self.name = f"text: TF-IDF + LogisticRegression, 62-word documents, {self.samples:,} samples"

    def stream(self, instance: Any) -> Any:
        return ours_lime.stream(self.model, None, instance, num_samples=self.samples, random_state=0)

    def theirs(self, instance: Any) -> Any:
        return self.explainer.explain_instance(instance, self.model.predict_proba, num_features=10,
                                               num_samples=self.samples)

    def overlap(self, ours: Any, theirs: Any) -> int:
        return len({ours.feature_names[j] for j in top5(ours.values)} & {w for w, _ in theirs.as_list()[:5]})


class Image(Case):
    def __init__(self, n_instances: int) -> None:
        from skimage import data
        from skimage.transform import resize

        rng = np.random.default_rng(0)
        sources = [data.astronaut(), data.chelsea(), data.coffee(), data.rocket()]
        self.images = [resize(img, (224, 224), anti_aliasing=True) for img in sources[:n_instances]]
        weights = rng.normal(size=(8 * 8 * 3, 5))

        def classify(batch: np.ndarray) -> np.ndarray:  # mean colour of an 8 x 8 grid of blocks -> softmax
            pooled = batch.reshape(len(batch), 8, 28, 8, 28, 3).mean(axis=(2, 4)).reshape(len(batch), -1)
            logits = (pooled - 0.5) @ weights
            e = np.exp(logits - logits.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)

        self.model = classify
        self.segments = [_lime_image.slic_segments(img, 50, 10.0) for img in self.images]
        self.explainer = LimeImageExplainer(random_state=0)
        self.samples = 1000
        self.instances = list(range(len(self.images)))
        self.name = f"image: 224 x 224 RGB, ~50 SLIC superpixels, numpy classifier, {self.samples:,} samples"

    def stream(self, instance: Any) -> Any:
        return ours_lime.stream(self.model, None, self.images[instance], segmentation=self.segments[instance],
                                num_samples=self.samples, random_state=0)

    def theirs(self, instance: Any) -> Any:
        label = int(np.argmax(self.model(self.images[instance][None])[0]))
        segments = self.segments[instance]
        with contextlib.redirect_stderr(io.StringIO()):  # lime's tqdm progress bar
            return self.explainer.explain_instance(self.images[instance], self.model, labels=(label,),
                                                   top_labels=None, num_samples=self.samples, batch_size=100,
                                                   segmentation_fn=lambda _img: segments)

    def overlap(self, ours: Any, theirs: Any) -> int:
        label = next(iter(theirs.local_exp))
        return len(top5(ours.values) & {j for j, _ in sorted(theirs.local_exp[label], key=lambda t: -abs(t[1]))[:5]})


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def run(case: Case, rounds: int) -> dict[str, Any]:
    ours_total = theirs_total = first_total = 0.0
    overlaps = []
    for instance in case.instances:
        ours_t, theirs_t = [], []
        for r in range(rounds):
            jobs = [("ours", lambda: run_to_end(case.stream(instance)), ours_t),  # noqa: B023 - called at once
                    ("theirs", lambda: case.theirs(instance), theirs_t)]  # noqa: B023
            results = {}
            for name, fn, sink in (jobs if r % 2 == 0 else jobs[::-1]):
                seconds, results[name] = timed(fn)
                sink.append(seconds)
        overlaps.append(case.overlap(results["ours"], results["theirs"]))
        ours_total += statistics.median(ours_t)
        theirs_total += statistics.median(theirs_t)
        first_total += timed(lambda: next(case.stream(instance)))[0]  # noqa: B023 - called at once
    n = len(case.instances)
    return {"case": case.name, "instances": n, "ours_s": ours_total / n, "lime_s": theirs_total / n,
            "ratio": ours_total / theirs_total, "first_partial_s": first_total / n,
            "top5_overlap": overlaps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2 instances per case, 1 round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--instances", type=int, default=4)
    args = parser.parse_args()
    rounds, n = (1, 2) if args.quick else (args.rounds, args.instances)
    rows = []
    for case in (Tabular(n), Text(n), Image(n)):
        row = run(case, rounds)
        rows.append(row)
        print(f"{row['case']}\n    ours {row['ours_s']:.3f} s  lime {row['lime_s']:.3f} s per instance  "
              f"ratio {row['ratio']:.2f}  first partial {row['first_partial_s']:.3f} s  "
              f"top-5 overlap {row['top5_overlap']}", flush=True)
    RESULTS.mkdir(exist_ok=True)
    record = {"date": datetime.now(timezone.utc).isoformat(timespec="minutes"), "machine": machine(),
              "rounds": rounds, "rows": rows}
    (RESULTS / "lime_speed.json").write_text(json.dumps(record, indent=2))
    print("\n| case | ipyexplain (s/instance) | lime (s/instance) | ratio | first partial (s) | top-5 overlap |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['case']} | {row['ours_s']:.3f} | {row['lime_s']:.3f} | {row['ratio']:.2f} | "
              f"{row['first_partial_s']:.3f} | {', '.join(map(str, row['top5_overlap']))} of 5 |")


if __name__ == "__main__":
    main()
