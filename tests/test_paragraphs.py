from newssearch.index.paragraphs import split_paragraphs, split_sentences, window_paragraph

from conftest import shared_path


def words(texts):
    return [len(t.split()) for t in texts]


LONG_A = ("The minister said on Monday that the talks in Geneva had failed after seven hours, and that both "
          "delegations would report back to their governments before any further meeting was arranged.")
LONG_B = ("Officials in Kyiv said they expected a new round of meetings next week in Brussels, where NATO allies "
          "will discuss the troops gathered near the border and the sanctions that could follow an invasion.")


def test_blank_lines_separate_paragraphs():
    assert split_paragraphs(f"{LONG_A}\n\n{LONG_B}") == [LONG_A, LONG_B]


def test_one_paragraph_per_line():
    assert split_paragraphs(f"{LONG_A}\n{LONG_B}") == [LONG_A, LONG_B]


def test_hard_wrapped_lines_are_joined():
    text = ("The minister said the talks had failed after seven hours of\n"
            "discussion in Geneva, and that both sides would meet again\n"
            "next week in Brussels.")
    assert split_paragraphs(text) == [
        "The minister said the talks had failed after seven hours of discussion in Geneva, "
        "and that both sides would meet again next week in Brussels."
    ]


def test_fragments_join_the_next_paragraph_and_bullets_stay_together():
    bullets = "\n".join(f"• Point number {n} of the summary says something about the talks" for n in range(4))
    text = f"GENEVA (Reuters) -\n\n{LONG_A}\n\n{bullets}\n\n‘We will not back down,’ he said.\n\n{LONG_B}"
    assert split_paragraphs(text) == [
        f"GENEVA (Reuters) -\n{LONG_A}", bullets, f"‘We will not back down,’ he said.\n{LONG_B}"]


def test_trailing_fragment_joins_previous():
    assert split_paragraphs(f"{LONG_A}\n\nBy Jane Doe") == [f"{LONG_A}\nBy Jane Doe"]


def test_an_article_of_fragments_is_one_paragraph():
    assert split_paragraphs("Short one.\n\nShort two.") == ["Short one.\nShort two."]


def test_sentences_respect_abbreviations():
    assert split_sentences("Mr. Biden met Dr. Smith in the U.S. capital. Talks went well. J. Doe agreed!") == [
        "Mr. Biden met Dr. Smith in the U.S. capital.", "Talks went well.", "J. Doe agreed!",
    ]


def test_long_paragraph_is_windowed_at_sentences_without_losing_text():
    sentence = "Officials said the troops would stay near the border for several more weeks."
    paragraph = " ".join([sentence] * 12)
    windows = window_paragraph(paragraph, lambda texts: [len(t.split()) for t in texts], 40)
    assert len(windows) > 1
    assert all(n <= 40 for n in words(windows))
    assert all(w.endswith("weeks.") for w in windows)
    assert " ".join(windows) == paragraph


def test_a_sentence_longer_than_the_window_is_cut_at_words():
    paragraph = " ".join(f"word{i}" for i in range(100))
    windows = window_paragraph(paragraph, lambda texts: [len(t.split()) for t in texts], 40)
    assert all(n <= 40 for n in words(windows))
    assert " ".join(windows).split() == paragraph.split()


def test_seed_article_paragraphs():
    seed = shared_path("seeds", "000_8e24c4ccbe2509cc.txt").read_text(encoding="utf-8")
    body = seed.split("\n", 1)[1]
    paragraphs = split_paragraphs(body)
    bullets = [p for p in paragraphs if "•" in p]
    assert len(bullets) == 1 and bullets[0].count("•") == 5
    assert any("Russian troop buildup" in p for p in paragraphs)
    assert all(len(p.split()) >= 30 for p in paragraphs)
    assert " ".join(" ".join(paragraphs).split()) == " ".join(body.split())
