"""Validation of CallAnalysis JSON against ``engine/schemas/call.v1.json`` (dealproof.call/1)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match


@cache
def _validator() -> Draft202012Validator:
    text = resources.files("engine").joinpath("schemas/call.v1.json").read_text("utf-8")
    return Draft202012Validator(json.loads(text))


def validate_call_json(doc: Mapping[str, Any]) -> None:
    """Check ``doc`` against the dealproof.call/1 schema.

    Raises ValueError naming the JSON path of the most relevant error, e.g.
    ``$.utterances[2].role: 'buyer' is not one of ['rep', 'prospect', None]``.
    """
    error = best_match(_validator().iter_errors(doc))
    if error is not None:
        raise ValueError(f"{error.json_path}: {error.message}")
