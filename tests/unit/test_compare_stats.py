"""Paired statistics of compare() against references: statsmodels' McNemar, scipy's paired bootstrap and
permutation test, scikit-learn's metrics on resampled rows, scipy's rank correlations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import r2_score, roc_auc_score
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar

from ipyexplain.compare import rank_agreement
from ipyexplain.compare import stats as st
from ipyexplain.compare.result import MetricComparison, sentence

SPEARMAN = "Spearman \u03c1"


def table(correct_a, correct_b):
    return [[np.sum(correct_a & correct_b), np.sum(correct_a & ~correct_b)],
            [np.sum(~correct_a & correct_b), np.sum(~correct_a & ~correct_b)]]


@pytest.mark.parametrize(("n", "p_a", "p_b", "exact"), [(60, 0.8, 0.9, True), (2000, 0.85, 0.88, False)])
def test_mcnemar_equals_statsmodels(n, p_a, p_b, exact):
    rng = np.random.default_rng(n)
    correct_a = rng.random(n) < p_a
    correct_b = np.where(rng.random(n) < 0.7, correct_a, rng.random(n) < p_b)
    ours = st.mcnemar(correct_a, correct_b)
    ref = sm_mcnemar(table(correct_a, correct_b), exact=exact, correction=True)
    counts = table(correct_a, correct_b)
    assert ours.exact == exact and ours.discordant == counts[0][1] + counts[1][0]
    assert ours.statistic == pytest.approx(ref.statistic)
    assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-10)
    assert ours.both_right + ours.both_wrong + ours.discordant == n
    assert st.mcnemar(correct_a, correct_a).p_value == 1.0


def accuracy_metric(n, seed=0):
    rng = np.random.default_rng(seed)
    ca = (rng.random(n) < 0.8).astype(float)
    cb = np.where(rng.random(n) < 0.6, ca, (rng.random(n) < 0.9).astype(float))
    return ca, cb, st.PairedMetric("accuracy", ca, cb, np.zeros(n), st.mean_of, higher_is_better=True)


def test_bootstrap_interval_matches_scipys_paired_percentile_bootstrap():
    ca, cb, metric = accuracy_metric(400)
    ours = st.bootstrap_diff(metric, n_resamples=6000, rng=np.random.default_rng(1))
    ref = stats.bootstrap((ca, cb), lambda a, b, axis: b.mean(axis) - a.mean(axis), paired=True, vectorized=True,
                          n_resamples=6000, method="percentile", rng=np.random.default_rng(2))
    width = ref.confidence_interval.high - ref.confidence_interval.low
    assert ours.estimate == pytest.approx(cb.mean() - ca.mean())
    assert ours.low == pytest.approx(ref.confidence_interval.low, abs=0.06 * width)
    assert ours.high == pytest.approx(ref.confidence_interval.high, abs=0.06 * width)
    assert ours.replicates.size == 6000


def test_permutation_test_equals_scipys_exact_and_agrees_when_sampled():
    ca, cb, metric = accuracy_metric(11, seed=3)
    statistic = lambda a, b, axis: b.mean(axis) - a.mean(axis)  # noqa: E731
    ours = st.permutation_test(metric, n_resamples=5000, rng=np.random.default_rng(0))
    ref = stats.permutation_test((ca, cb), statistic, permutation_type="samples", vectorized=True, n_resamples=5000)
    assert ours.exact and ours.n_resamples == 2**11
    assert ours.p_value == pytest.approx(ref.pvalue, abs=1e-12)
    rng = np.random.default_rng(5)
    ea, eb = rng.exponential(1.0, 300), rng.exponential(1.1, 300)
    big = st.PairedMetric("mae", ea, eb, np.zeros(300), st.mean_of, higher_is_better=False)
    ours = st.permutation_test(big, n_resamples=4000, rng=np.random.default_rng(0))
    ref = stats.permutation_test((ea, eb), statistic, permutation_type="samples", vectorized=True, n_resamples=4000,
                                 rng=np.random.default_rng(1))
    assert not ours.exact and ours.p_value == pytest.approx(ref.pvalue, abs=0.03)


def test_vectorised_auc_and_r2_equal_sklearn_on_resampled_rows():
    rng = np.random.default_rng(7)
    n = 300
    y = rng.integers(0, 3, n)
    proba = rng.dirichlet(np.ones(3), n)
    proba[:, 0] = np.round(proba[:, 0], 1)  # ties
    rows = rng.integers(0, n, size=(5, n))
    got = st.auc_of(proba, y, rows)
    for r, value in zip(rows, got, strict=True):  # macro one-vs-rest: the mean of the per-class AUCs
        assert value == pytest.approx(np.mean([roc_auc_score(y[r] == c, proba[r, c]) for c in range(3)]), abs=1e-12)
    binary = np.column_stack([1 - proba[:, 0], proba[:, 0]])
    yb = (y == 0).astype(int)
    for r, value in zip(rows, st.auc_of(binary, yb, rows), strict=True):
        assert value == pytest.approx(roc_auc_score(yb[r], binary[r, 1]), abs=1e-12)
    target, pred = rng.normal(size=n), rng.normal(size=n)
    for r, value in zip(rows, st.r2_of((target - pred) ** 2, target, rows), strict=True):
        assert value == pytest.approx(r2_score(target[r], pred[r]))


def metric(name, a, b, low, high, p, higher=True):
    return MetricComparison(name, a, b, st.Interval(b - a, low, high, 0.95, np.zeros(1)), p, "a test", higher)


def test_sentences_state_direction_size_interval_and_p():
    names = ("A", "B")
    assert sentence(names, metric("accuracy", 0.900, 0.918, 0.004, 0.031, 0.0123), 0.05) == \
        "B is more accurate than A by 1.8 points, 95% CI [0.4, 3.1], p=0.012 (a test)."
    assert sentence(names, metric("accuracy", 0.918, 0.900, -0.031, -0.004, 0.0004), 0.05) == \
        "B is less accurate than A by 1.8 points, 95% CI [0.4, 3.1], p<0.001 (a test)."
    assert sentence(names, metric("rmse", 2.0, 1.5, -0.8, -0.2, 0.002, higher=False), 0.05) == \
        "B has a lower RMSE than A by 0.5 (better), 95% CI [0.2, 0.8], p=0.002 (a test)."
    assert sentence(names, metric("accuracy", 0.9, 0.903, -0.008, 0.014, 0.61), 0.05) == (
        "No significant difference in accuracy between B and A: B - A = +0.3 points, 95% CI [-0.8, 1.4], "
        "p=0.61 (a test).")
    mc = st.McNemar(3, 11, 3.0, 0.0574, True)
    assert sentence(names, metric("accuracy", 0.9, 0.908, -0.001, 0.017, 0.0574), 0.1, mc).endswith(
        "p=0.057 (a test, 14 discordant rows).")


def test_rank_agreement_equals_scipy():
    rng = np.random.default_rng(2)
    a = rng.random(20)
    b = a + rng.normal(0, 0.2, 20)
    names = [f"f{i}" for i in range(20)]
    r = rank_agreement(a, b, names, top_k=5)
    assert r.spearman == pytest.approx(stats.spearmanr(a, b).statistic)
    assert r.kendall == pytest.approx(stats.kendalltau(a, b).statistic)
    assert r.shared == len(set(np.argsort(-a)[:5]) & set(np.argsort(-b)[:5])) and r.top_k == 5
    assert SPEARMAN in r.sentence and f"{r.shared} of the top 5 features are shared" in r.sentence
    with pytest.raises(ValueError, match="one value per feature"):
        rank_agreement(a, b[:5], names)
