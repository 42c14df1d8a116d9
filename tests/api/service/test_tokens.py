"""API tokens: a new one works at once, a revoked one fails at once (nothing caches them),
and revoking one user's tokens leaves everyone else's alone. On both databases."""

from __future__ import annotations

from tests.api.service.conftest import World


def status(world: World, token: str) -> int:
    return world.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_revoked_tokens_stop_working_at_once_and_only_for_that_user(world: World) -> None:
    rep = world.ids["rep"]
    made = world.post("admin", f"/users/{rep}/tokens", json={"label": "laptop"})
    assert made.status_code == 201, made.text
    laptop = made.json()["token"]
    seeded = world.tokens["rep"]
    assert status(world, laptop) == 200 and status(world, seeded) == 200

    gone = world.client.delete(f"/api/v1/users/{rep}/tokens", headers=world.headers("admin"))
    assert gone.status_code == 204
    assert status(world, laptop) == 401 and status(world, seeded) == 401
    assert status(world, world.tokens["rep2"]) == 200
    assert status(world, world.tokens["admin"]) == 200

    # A token issued after the revocation works: revoking is not a ban.
    fresh = world.post("admin", f"/users/{rep}/tokens", json={"label": "new"}).json()["token"]
    assert status(world, fresh) == 200 and status(world, laptop) == 401


def test_a_user_may_revoke_their_own_tokens_but_not_a_colleagues(world: World) -> None:
    rep, rep2 = world.ids["rep"], world.ids["rep2"]
    other = world.client.delete(f"/api/v1/users/{rep2}/tokens", headers=world.headers("rep"))
    assert other.status_code in (403, 404)
    assert status(world, world.tokens["rep2"]) == 200
    own = world.client.delete(f"/api/v1/users/{rep}/tokens", headers=world.headers("rep"))
    assert own.status_code == 204
    assert status(world, world.tokens["rep"]) == 401
