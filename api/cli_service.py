"""The service commands: ``serve``, ``worker`` and ``users create``."""

from __future__ import annotations

import argparse
import os

from pydantic import ValidationError

from engine.errors import ConfigError


def load_settings() -> object:
    from api.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "DEALPROOF_" + str(first["loc"][0]).upper() if first["loc"] else "DEALPROOF_*"
        raise ConfigError(f"{name}: {first['msg']}") from exc


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser(
        "serve",
        help="run the HTTP API (and, without a broker, the job workers)",
        description="Serve the API under /api/v1. Settings come from DEALPROOF_* variables "
        "(see README); by default a SQLite database and media folder under ./data.",
    )
    serve.add_argument("--host", default=os.environ.get("DEALPROOF_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("DEALPROOF_PORT", "8000")))
    serve.set_defaults(handler=_serve)

    worker = sub.add_parser(
        "worker",
        help="run a Celery worker (needs DEALPROOF_BROKER_URL)",
        description="Take analysis jobs from the broker; share DEALPROOF_DATABASE_URL and "
        "DEALPROOF_MEDIA_DIR with the API server.",
    )
    worker.add_argument("--concurrency", type=int, default=1, metavar="N")
    worker.set_defaults(handler=_worker)

    users = sub.add_parser("users", help="manage users")
    which = users.add_subparsers(dest="what", required=True, metavar="{create}")
    create = which.add_parser(
        "create",
        help="create a user and print an API token for them",
        description="Bootstraps the first admin of an organisation (created if new); the "
        "token is printed once.",
    )
    create.add_argument("--org", required=True, help="organisation name")
    create.add_argument("--name", required=True)
    create.add_argument("--email", required=True)
    create.add_argument("--role", choices=["admin", "manager", "rep"], default="admin")
    create.add_argument("--team", help="team name (created if new)")
    create.set_defaults(handler=_users_create)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app
    from api.settings import Settings

    settings = load_settings()
    assert isinstance(settings, Settings)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    return 0


def _worker(args: argparse.Namespace) -> int:
    from api.celery_app import run_worker
    from api.settings import Settings

    settings = load_settings()
    assert isinstance(settings, Settings)
    if not settings.broker_url:
        raise ConfigError("set DEALPROOF_BROKER_URL (e.g. redis://127.0.0.1:6379/0) to run workers")
    if args.concurrency < 1:
        raise ConfigError("--concurrency must be at least 1")
    run_worker(settings, args.concurrency)
    return 0


def _users_create(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import IntegrityError
    from sqlmodel import select

    from api.auth import issue_token
    from api.db import migrate, session_scope
    from api.settings import Settings
    from api.tables import Organisation, Team, User

    settings = load_settings()
    assert isinstance(settings, Settings)
    if "@" not in args.email:
        raise ConfigError(f"--email: not an email address: {args.email!r}")
    migrate(settings.db_url)
    with session_scope(settings.db_url) as session:
        org = session.exec(select(Organisation).where(Organisation.name == args.org)).first()
        if org is None:
            org = Organisation(name=args.org)
            session.add(org)
            session.flush()
        assert org.id is not None
        team_id = None
        if args.team:
            team = session.exec(
                select(Team).where(Team.org_id == org.id, Team.name == args.team)
            ).first()
            if team is None:
                team = Team(org_id=org.id, name=args.team)
                session.add(team)
                session.flush()
            team_id = team.id
        user = User(
            org_id=org.id, team_id=team_id, name=args.name, email=args.email.lower(), role=args.role
        )
        session.add(user)
        try:
            session.flush()
        except IntegrityError as exc:
            raise ConfigError(f"a user with email {args.email} exists in {args.org}") from exc
        token = issue_token(session, user, "created by dealproof users create")
        session.commit()
        print(f"created {args.role} {args.name} <{user.email}> (user {user.id}, org {org.id})")
        print(f"API token (shown once): {token}")
    return 0
