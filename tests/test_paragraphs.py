from newssearch.index.paragraphs import split_paragraphs, split_sentences, window_paragraph

from conftest import shared_path


def words(texts):
    return [len(t.split()) for t in texts]


def test_blank_lines_separate_paragraphs():
    text = "First paragraph has enough words to stand alone here.\n\nSecond paragraph also stands alone fine."
    assert split_paragraphs(text) == [
        "First paragraph has enough words to stand alone here.",
        "Second paragraph also stands alone fine.",
    ]


def test_one_paragraph_per_line():
    text = ("The minister said the talks had failed after seven hours.\n"
            "Officials in Kyiv said they expected further meetings next week.")
    assert len(split_paragraphs(text)) == 2


def test_hard_wrapped_lines_are_joined():
    text = ("The minister said the talks had failed after seven hours of\n"
            "discussion in Geneva, and that both sides would meet again\n"
            "next week in Brussels.")
    assert split_paragraphs(text) == [
        "The minister said the talks had failed after seven hours of discussion in Geneva, "
        "and that both sides would meet again next week in Brussels."
    ]


def test_bullets_stay_together_and_datelines_join_the_next_paragraph():
    text = ("GENEVA (Reuters) -\n\nRussia and the U.S. held talks in Geneva on Monday about the buildup.\n\n"
            "• Talks lasted seven hours\n• No agreement was reached\n• Further talks are planned\n"
            "• Moscow denies plans to invade\n\nThe next round is in Brussels on Wednesday, officials said.")
    paragraphs = split_paragraphs(text)
    assert paragraphs[0].startswith("GENEVA (Reuters) -\nRussia and the U.S.")
    assert paragraphs[1].count("•") == 4
    assert len(paragraphs) == 3


def test_trailing_fragment_joins_previous():
    paragraphs = split_paragraphs("A full sentence that is long enough to count as a paragraph.\n\nBy Jane Doe")
    assert paragraphs == ["A full sentence that is long enough to count as a paragraph.\nBy Jane Doe"]


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
    bullets = [p for p in paragraphs if p.startswith("•")]
    assert len(bullets) == 1 and bullets[0].count("•") == 5
    assert any("Russian troop buildup" in p for p in paragraphs)
    assert all(len(p.split()) >= 6 for p in paragraphs)
    assert " ".join(" ".join(paragraphs).split()) == " ".join(body.split())
