"""Whether a transcript is English: behavior detection runs on English only."""

from __future__ import annotations

from engine.behaviors.language import MIN_WORDS, looks_english

ENGLISH = [
    "Hi Tom, thanks for making time today.",
    "We have about thirty minutes, is that still okay with you?",
    "Sure. Our budget for this is around forty thousand a year.",
    "Who else is involved in the decision? I will send the proposal by Friday.",
]
GERMAN = [
    "Guten Tag, vielen Dank, dass Sie sich heute Zeit nehmen.",
    "Wir haben ungefähr dreißig Minuten, passt das noch für Sie?",
    "Ja, das passt. Unser Budget liegt bei etwa vierzigtausend Euro im Jahr.",
    "Wer entscheidet bei Ihnen über den Kauf? Ich schicke Ihnen das Angebot bis Freitag.",
]
SPANISH = [
    "Buenos días, gracias por su tiempo hoy.",
    "Tenemos unos treinta minutos, ¿le parece bien?",
    "Sí, perfecto. Nuestro presupuesto es de unos cuarenta mil euros al año.",
    "¿Quién más participa en la decisión de compra? Le envío la propuesta el viernes.",
]


def test_english_is_english() -> None:
    assert looks_english(ENGLISH)
    assert looks_english(iter(ENGLISH))  # any iterable, read once


def test_german_and_spanish_are_not_english() -> None:
    assert not looks_english(GERMAN)
    assert not looks_english(SPANISH)


def test_unpunctuated_lowercase_asr_english_is_english() -> None:
    text = (
        "um so yeah we have like thirty minutes today and i would love to understand how you "
        "run the close right now and then maybe show you what we do"
    )
    assert looks_english([text])


def test_too_few_words_to_tell_counts_as_english() -> None:
    assert looks_english([])
    assert looks_english(["", "   "])
    assert looks_english(["Hallo, danke schön."])
    short_german = " ".join(GERMAN)[:60]
    assert len(short_german.split()) < MIN_WORDS
    assert looks_english([short_german])


def test_a_mostly_german_call_with_some_english_is_not_english() -> None:
    assert not looks_english([*GERMAN, *GERMAN, "Okay, thanks."])


def test_an_english_call_with_a_german_greeting_is_english() -> None:
    assert looks_english(["Guten Tag!", *ENGLISH])
