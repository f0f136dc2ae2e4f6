import pytest

from newssearch.search import fusion


def test_relative_scores_scale_each_list_and_average():
    dense = [(1, 10, 0.9), (2, 20, 0.5), (3, 30, 0.1)]
    keyword = [(2, 20, 8.0), (4, 40, 4.0)]
    paragraphs, articles = fusion.relative_scores([dense, keyword])
    assert paragraphs == pytest.approx({1: 0.5, 2: 0.75, 3: 0.0, 4: 0.0})
    assert articles == pytest.approx({10: 0.5, 20: 0.75, 30: 0.0, 40: 0.0})


def test_article_lists_count_as_lists_of_their_own():
    dense = [(1, 10, 0.9), (2, 20, 0.5)]
    article_vectors = [(20, 0.8), (10, 0.2)]
    _, articles = fusion.relative_scores([dense], [article_vectors])
    assert articles == pytest.approx({10: 0.5, 20: 0.5})


def test_an_article_scores_its_best_paragraph_per_list():
    dense = [(1, 10, 0.9), (2, 10, 0.8), (3, 20, 0.1)]
    _, articles = fusion.relative_scores([dense, []])
    assert articles == pytest.approx({10: 0.5, 20: 0.0})


def test_scale_spans_the_best_and_the_hundredth_candidate():
    candidates = [(n, n, 200.0 - n) for n in range(200)]
    paragraphs, _ = fusion.relative_scores([candidates])
    assert paragraphs[0] == 1.0 and paragraphs[99] == 0.0 and paragraphs[150] == 0.0
    assert paragraphs[50] == pytest.approx(49 / 99)


def test_one_candidate_or_equal_scores_get_full_marks():
    paragraphs, _ = fusion.relative_scores([[(1, 10, 3.0)]])
    assert paragraphs == {1: 1.0}


def test_reciprocal_rank_fusion():
    dense = [(1, 10, 0.9), (2, 20, 0.5)]
    keyword = [(2, 20, 8.0)]
    paragraphs, articles = fusion.reciprocal_ranks([dense, keyword], [[(10, 0.3)]])
    assert paragraphs == pytest.approx({1: 1 / 61, 2: 1 / 62 + 1 / 61})
    assert articles == pytest.approx({10: 2 / 61, 20: 1 / 62 + 1 / 61})


def test_a_single_list_keeps_its_own_scores():
    assert fusion.fuse([[(1, 10, 7.5), (2, 10, 3.0)]]) == ({1: 7.5, 2: 3.0}, {10: 7.5})
