"""Schemathesis over the OpenAPI document, on SQLite and on PostgreSQL: for every operation,
generated requests (valid and invalid, as the admin or as a rep, on random ids or on the seeded
objects) never get a server error (5xx)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.python.asgi import ASGIClient

from api.app import create_app
from api.settings import Settings
from tests.api.service.conftest import BACKENDS
from tests.api.service.seeding import Seeded, seeded_app

SCHEMA = schemathesis.openapi.from_dict(create_app(Settings()).openapi())
RESULTS = list(SCHEMA.get_all_operations())
OPERATIONS = sorted((r.ok().method.upper(), r.ok().path) for r in RESULTS if isinstance(r, Ok))
INVALID = [str(r.err()) for r in RESULTS if not isinstance(r, Ok)]
MAX_EXAMPLES = 25
BASE_URL = "http://testserver"

# Ids of seeded objects a generated path id is sometimes replaced with, so that requests
# reach the rows and not only the 404s.
SEEDED_IDS: dict[str, Callable[[Seeded], list[int]]] = {
    "team_id": lambda s: [s.east.team_id, s.west.team_id],
    "user_id": lambda s: [s.east.user_id, s.west.user_id, s.world.ids["other_admin"]],
    "rep_id": lambda s: [s.east.user_id, s.west.user_id],
    "deal_id": lambda s: [s.east.deal_id, s.west.deal_id, s.shared_deal_id],
    "call_id": lambda s: [s.east.call_id, s.west.call_id, s.shared_call_id],
    "job_id": lambda s: [s.east.job_id, s.west.job_id],
    "evidence_id": lambda s: [s.east.evidence_id, s.west.evidence_id],
    "webhook_id": lambda s: [s.webhook_id],
}


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Seeded]:
    data_dir: Path = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    with seeded_app(request.param, data_dir, "dealproof_fuzz") as s:
        yield s


def test_every_operation_is_fuzzed() -> None:
    assert not INVALID, INVALID
    assert len(OPERATIONS) >= 30, OPERATIONS


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_server_errors(seeded: Seeded, method: str, path: str) -> None:
    operation = SCHEMA[path][method]
    client = ASGIClient(cast(Any, seeded.world.client.app))
    cases = st.one_of(
        operation.as_strategy(generation_mode=schemathesis.GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=schemathesis.GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        phases=(Phase.explicit, Phase.generate),  # a shrink can take minutes; curl is shown
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases, data=st.data())
    def fuzz(case: schemathesis.Case[Any], data: st.DataObject) -> None:
        for name in list(case.path_parameters or {}):
            if name in SEEDED_IDS and data.draw(st.booleans(), label=f"seeded {name}"):
                choices = SEEDED_IDS[name](seeded)
                case.path_parameters[name] = data.draw(st.sampled_from(choices), label=name)
        role = data.draw(st.sampled_from(["admin", "admin", "rep"]), label="role")
        headers = {"Authorization": f"Bearer {seeded.world.tokens[role]}"}
        response = case.call(base_url=BASE_URL, session=client, headers=headers)
        if method == "DELETE" and path.endswith("/tokens") and response.status_code == 204:
            seeded.reissue_tokens()
        case.validate_response(response, checks=[not_a_server_error], headers=headers)

    fuzz()
