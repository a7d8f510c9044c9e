"""Link-prediction ranking and the GraphModel's operator algebra."""

import numpy as np
import pytest

from embedstudio.analysis.linkpred import KnownEdges, evaluate_link_prediction
from embedstudio.graphmodel import GraphModel, apply_operator, identity_params
from embedstudio.vectors import Embedding


def make_model(n=12, dim=4, n_rel=2, op="complex_diagonal", comparator="dot", seed=0, mode="dynamic"):
    rng = np.random.default_rng(seed)
    emb = Embedding([f"e{i}" for i in range(n)], rng.normal(size=(n, dim)))
    size = identity_params(op, 1, dim).shape[1]
    return GraphModel(emb, np.zeros(n, np.int32), ["entity"], [f"r{r}" for r in range(n_rel)],
                      np.zeros((n_rel, 2), np.int32), op, comparator, rng.normal(size=(n_rel, size)),
                      rng.normal(size=(n_rel, size)), relation_mode=mode)


def test_operators_match_their_closed_forms():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5, 6))
    p = rng.normal(size=(3, 6))
    rel = np.array([0, 2, 1, 1, 0])
    np.testing.assert_allclose(apply_operator("diagonal", p, rel, x), p[rel] * x)
    np.testing.assert_allclose(apply_operator("translation", p, rel, x), x + p[rel])
    z = (x[:, :3] + 1j * x[:, 3:]) * (p[rel, :3] + 1j * p[rel, 3:])
    np.testing.assert_allclose(apply_operator("complex_diagonal", p, rel, x), np.hstack([z.real, z.imag]))
    m = rng.normal(size=(3, 36))
    expected = np.stack([m[r].reshape(6, 6) @ x[i] for i, r in enumerate(rel)])
    np.testing.assert_allclose(apply_operator("linear", m, rel, x), expected)
    for op in ("none", "diagonal", "translation", "complex_diagonal", "linear"):
        np.testing.assert_allclose(apply_operator(op, identity_params(op, 3, 6), rel, x), x)


@pytest.mark.parametrize("comparator", ["dot", "cos"])
@pytest.mark.parametrize("mode", ["dynamic", "static"])
def test_batched_scores_equal_the_per_edge_definition(comparator, mode):
    model = make_model(comparator=comparator, mode=mode)
    E = model.embedding.vectors.astype(np.float64)

    def cmp(a, b):
        if comparator == "cos":
            a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
        return float(a @ b)

    def op(params, r, x):
        return apply_operator(model.operator, params, np.array([r]), x[None])[0]

    tails = model.tail_scores([3, 5], [1, 0])
    heads = model.head_scores([2, 7], [0, 1])
    for row, (h, r) in enumerate([(3, 1), (5, 0)]):
        for t in range(len(E)):
            expect = (cmp(op(model.lhs_params, r, E[h]), E[t]) if mode == "dynamic"
                      else cmp(E[h], op(model.rhs_params, r, E[t])))
            assert tails[row, t] == pytest.approx(expect, abs=1e-9)
    for row, (t, r) in enumerate([(2, 0), (7, 1)]):
        for h in range(len(E)):
            expect = cmp(E[h], op(model.rhs_params, r, E[t]))
            assert heads[row, h] == pytest.approx(expect, abs=1e-9)


def brute_force_rank(model, h, r, t, known, filtered):
    scores = model.tail_scores([h], r)[0]
    others = {tt for (hh, rr, tt) in known if hh == h and rr == r and tt != t} if filtered else set()
    better = sum(1 for c in range(len(scores)) if c != t and c not in others and scores[c] > scores[t])
    ties = sum(1 for c in range(len(scores)) if c != t and c not in others and scores[c] == scores[t])
    return 1 + better + 0.5 * ties


def test_filtered_ranking_removes_exactly_the_other_known_answers():
    model = make_model(n=20)
    rng = np.random.default_rng(2)
    known = {(int(rng.integers(20)), int(rng.integers(2)), int(rng.integers(20))) for _ in range(120)}
    known = np.array(sorted(known))
    test = known[::7]
    filtered = evaluate_link_prediction(model, test, known, protocol="filtered", sides="tail")
    raw = evaluate_link_prediction(model, test, protocol="raw", sides="tail")
    # the evaluator groups by relation; compare rank multisets edge by edge in that order
    order = np.concatenate([np.flatnonzero(test[:, 1] == r) for r in np.unique(test[:, 1])])
    for k, i in enumerate(order):
        h, r, t = test[i]
        assert filtered.ranks[k] == brute_force_rank(model, h, r, t, known.tolist(), True)
        assert raw.ranks[k] == brute_force_rank(model, h, r, t, known.tolist(), False)
    assert (filtered.ranks <= raw.ranks).all() and (filtered.ranks < raw.ranks).any()


def test_known_edges_lookup_both_ways():
    known = KnownEdges(np.array([[0, 1, 2], [0, 1, 3], [4, 1, 2], [0, 0, 2]]), 5, 2)
    assert known.tails(0, 1).tolist() == [2, 3]
    assert known.heads(1, 2).tolist() == [0, 4]
    assert known.tails(3, 1).tolist() == []


def test_a_constant_model_ranks_in_the_middle_and_sampled_scores_flatter():
    model = make_model(n=50, op="none")
    model.embedding.vectors[:] = 1.0
    result = evaluate_link_prediction(model, np.array([[0, 0, 1], [2, 1, 3]]), protocol="raw")
    np.testing.assert_allclose(result.ranks, 25.5)  # 1 + half of the 49 ties
    good = make_model(n=400, dim=8, seed=3)
    test = np.array([[i, 0, (i * 7) % 400] for i in range(40)])
    full = evaluate_link_prediction(good, test, protocol="raw")
    sampled = evaluate_link_prediction(good, test, protocol="sampled", n_sampled=20)
    assert sampled.mrr > full.mrr and "flatters" in sampled.label and "full ranking" in full.label


def test_filtered_protocol_requires_the_known_edges_and_names_protocols_on_a_typo():
    model = make_model()
    with pytest.raises(ValueError, match="known_edges"):
        evaluate_link_prediction(model, np.array([[0, 0, 1]]))
    with pytest.raises(ValueError, match="filtered"):
        evaluate_link_prediction(model, np.array([[0, 0, 1]]), protocol="filterd")


def test_a_graph_model_survives_a_save_and_load(tmp_path):
    model = make_model(mode="static")
    model.save(tmp_path / "m.esgraph")
    back = GraphModel.load(tmp_path / "m.esgraph")
    assert back.relation_mode == "static" and back.relation_names == model.relation_names
    np.testing.assert_array_equal(back.tail_scores([1], 0), model.tail_scores([1], 0))


def test_predicted_links_leave_out_the_entity_itself_unless_asked():
    model = make_model(n=30, op="none", seed=4)
    me = "e3"
    with_self = model.predict_links(me, "r0", topn=30, include_self=True)
    assert with_self[0][1] == me  # dot with itself: the largest score under the identity operator
    rows = model.predict_links(me, "r0", topn=5, known={(3, 0, 7)})
    assert me not in [name for _, name, _, _ in rows] and len(rows) == 5
    assert [name for _, name, _, _ in rows] == [name for _, name, _, _ in with_self[1:6]]
    marked = {name for _, name, _, known in model.predict_links(me, "r0", topn=29, known={(3, 0, 7)}) if known}
    assert marked == {"e7"}


@pytest.mark.parametrize("comparator", ["dot", "cos"])
@pytest.mark.parametrize("mode", ["dynamic", "static"])
@pytest.mark.parametrize("protocol", ["filtered", "raw"])
def test_candidates_scored_by_blocks_give_the_ranks_of_one_score_matrix(comparator, mode, protocol):
    model = make_model(n=60, n_rel=3, comparator=comparator, mode=mode, seed=5)
    rng = np.random.default_rng(6)
    known = np.unique(np.stack([rng.integers(0, 60, 400), rng.integers(0, 3, 400), rng.integers(0, 60, 400)], 1),
                      axis=0)
    test = known[::4]
    whole = evaluate_link_prediction(model, test, known, protocol=protocol)
    by_blocks = evaluate_link_prediction(model, test, known, protocol=protocol, candidate_block=7, block=5)
    np.testing.assert_array_equal(by_blocks.ranks, whole.ranks)
    assert by_blocks.count == 2 * len(test)


def test_blocks_of_candidates_count_ties_and_keep_to_the_relation_types():
    model = make_model(n=50, op="none")
    model.embedding.vectors[:] = 1.0
    result = evaluate_link_prediction(model, np.array([[0, 0, 1], [2, 1, 3]]), protocol="raw", candidate_block=8)
    np.testing.assert_allclose(result.ranks, 25.5)
    typed = make_model(n=40, seed=7)
    typed.entity_type[:] = np.repeat([0, 1], 20)  # relation 0: type 0 -> type 1; relation 1: type 1 -> type 0
    typed.relation_types[:] = [[0, 1], [1, 0]]
    test = np.array([[i, 0, 20 + (i * 3) % 20] for i in range(20)] + [[20 + i, 1, (i * 7) % 20] for i in range(20)])
    whole = evaluate_link_prediction(typed, test, test, protocol="filtered")
    by_blocks = evaluate_link_prediction(typed, test, test, protocol="filtered", candidate_block=6, block=4)
    np.testing.assert_array_equal(by_blocks.ranks, whole.ranks)
    assert whole.ranks.max() <= 20
    with pytest.raises(ValueError, match="not of the type"):
        evaluate_link_prediction(typed, np.array([[0, 0, 3]]), protocol="raw", candidate_block=6)


def test_a_true_score_the_big_product_rounds_otherwise_is_counted_again(monkeypatch):
    # The provisional true scores come from a small product; were they off in the last bits (BLAS may round
    # shapes differently), the query is counted again against the block's value: the ranks do not change.
    model = make_model(n=80, dim=12, n_rel=2, seed=8)
    rng = np.random.default_rng(9)
    known = np.unique(np.stack([rng.integers(0, 80, 300), rng.integers(0, 2, 300), rng.integers(0, 80, 300)], 1),
                      axis=0)
    whole = evaluate_link_prediction(model, known[::3], known)
    diagonal = np.diagonal
    monkeypatch.setattr(np, "diagonal", lambda a: diagonal(a) + 0.5)  # far off: wrong ranks unless recounted
    by_blocks = evaluate_link_prediction(model, known[::3], known, candidate_block=9, block=7)
    np.testing.assert_array_equal(by_blocks.ranks, whole.ranks)
