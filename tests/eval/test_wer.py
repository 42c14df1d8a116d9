from __future__ import annotations

import pytest

from eval.wer import WerResult, combine_wer, normalize_text, word_error_rate


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("Hello, World!", "hello world"),
        ("  many   spaces\tand\nlines ", "many spaces and lines"),
        ("I didn't know.", "i didn't know"),
        ("It\u2019s fine", "it's fine"),
        ("okay {vocalsound} so [noise] yes <s>", "okay so yes"),
        ("cold-hearted", "cold hearted"),
        ("$40,000 a year", "40000 a year"),
        ("version 2.5 now.", "version 2.5 now"),
        ("the students' books", "the students books"),
        ("'quoted'", "quoted"),
        ("12 agents", "12 agents"),
        ("", ""),
    ],
)
def test_normalize_text(raw: str, normalized: str) -> None:
    assert normalize_text(raw) == normalized


def test_identical_texts_have_zero_wer() -> None:
    result = word_error_rate("The cat sat.", "the cat sat")
    assert result == WerResult(wer=0.0, substitutions=0, deletions=0, insertions=0, ref_words=3)


def test_counts_each_error_kind() -> None:
    # a b c d -> a x c d e: one substitution (b->x), one insertion (e)
    result = word_error_rate("a b c d", "a x c d e")
    assert (result.substitutions, result.deletions, result.insertions) == (1, 0, 1)
    assert result.ref_words == 4
    assert result.wer == pytest.approx(0.5)
    assert result.errors == 2


def test_deletions_and_empty_hypothesis() -> None:
    assert word_error_rate("one two three four", "one four").deletions == 2
    empty = word_error_rate("one two three", "")
    assert (empty.wer, empty.deletions) == (1.0, 3)


def test_markup_and_punctuation_do_not_count() -> None:
    assert word_error_rate("Okay, {vocalsound} let's start.", "okay let's start").wer == 0.0


def test_without_normalization_case_counts() -> None:
    assert word_error_rate("Hello world", "hello world", normalize=False).wer == pytest.approx(0.5)


@pytest.mark.parametrize("reference", ["", "   ", "{vocalsound} [noise]"])
def test_empty_reference_is_an_error(reference: str) -> None:
    with pytest.raises(ValueError, match="reference has no words"):
        word_error_rate(reference, "anything")


def test_combine_is_corpus_wer() -> None:
    first = word_error_rate("a b c d", "a b c x")  # 1 error / 4 words
    second = word_error_rate("e f", "")  # 2 errors / 2 words
    combined = combine_wer([first, second])
    assert combined.wer == pytest.approx(3 / 6)
    assert (combined.substitutions, combined.deletions, combined.ref_words) == (1, 2, 6)
    with pytest.raises(ValueError):
        combine_wer([])
