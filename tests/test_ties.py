"""Cut-offs do not let row ids decide between tied candidates."""

from newssearch.search import ties


def fetcher(ranked, calls):
    def fetch(n):
        calls.append(n)
        return ranked[:n]
    return fetch


def test_no_tie_at_the_cut_takes_the_first_depth():
    ranked = [(i, 1.0 - i / 100) for i in range(100)]
    calls = []
    assert ties.top(fetcher(ranked, calls), 10, lambda ids: {}) == ranked[:10]
    assert calls == [10 + ties.MARGIN]


def test_tied_candidates_at_the_cut_are_chosen_by_stable_order():
    # ids 5..9 and 40..44 all score 0.5: ids decide in the engine's order, keys here
    ranked = [(i, 1.0 - i / 100) for i in range(5)] + [(i, 0.5) for i in (40, 41, 5, 6, 42, 7, 43, 8, 44, 9)]
    keys = {i: f"k{100 - i:03}" for i in range(100)}  # higher ids sort first
    calls = []
    got = ties.top(fetcher(ranked + [(99, 0.1)], calls), 7, lambda ids: {i: keys[i] for i in ids})
    assert [c[0] for c in got] == [0, 1, 2, 3, 4, 44, 43]


def test_a_tie_running_past_the_margin_is_fetched_whole():
    ranked = [(0, 1.0)] + [(i, 0.5) for i in range(1, 200)] + [(200, 0.1)]
    calls = []
    got = ties.top(fetcher(ranked, calls), 3, lambda ids: {i: -i for i in ids})
    assert [c[0] for c in got] == [0, 199, 198]
    assert calls == [3 + ties.MARGIN, 4 * (3 + ties.MARGIN), 16 * (3 + ties.MARGIN)]
