"""Service settings, read from the environment (``DEALPROOF_*``) once per process.

Every setting has a default that runs the embedded setup: a SQLite file and media folder
under the data directory, and in-process workers. Pointing ``DEALPROOF_DATABASE_URL`` at
PostgreSQL and ``DEALPROOF_BROKER_URL`` at Redis gives the scale-out setup with the same code.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DEALPROOF_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="where SQLite and media live")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default sqlite:///<data_dir>/dealproof.db"
    )
    broker_url: str | None = Field(
        default=None, description="Celery broker (redis://...); unset runs jobs in-process"
    )
    media_dir: Path | None = Field(
        default=None, description="uploaded files; default <data_dir>/media; shared by workers"
    )
    upload_limit: int = Field(default=2 * 1024**3, gt=0, description="largest upload, bytes")
    workers: int = Field(default=1, ge=0, description="in-process worker threads (0: none)")
    job_lease_seconds: float = Field(
        default=30.0,
        gt=0,
        description="a running job whose worker went silent this long is resumed",
    )
    job_max_attempts: int = Field(
        default=3,
        ge=1,
        description="a job whose worker died in it this many times fails (a retry: one more)",
    )
    asr_model: str = Field(default="tiny.en", description="ASR model for uploaded media")
    default_playbook: str = Field(default="discovery", description="playbook of new deals")
    webhook_timeout: float = Field(default=5.0, gt=0, description="seconds per delivery try")
    webhook_max_attempts: int = Field(default=8, ge=1, description="tries before giving up")
    webhook_allow_private: bool = Field(
        default=False,
        description="deliver webhooks to loopback, private and link-local addresses too",
    )
    webhook_backoff: float = Field(
        default=10.0, gt=0, description="seconds before the 2nd try; doubles after each"
    )

    @property
    def db_url(self) -> str:
        url = self.database_url or f"sqlite:///{self.data_dir / 'dealproof.db'}"
        # psycopg 3 is the driver we ship; a plain postgresql:// URL means it.
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    @property
    def media_path(self) -> Path:
        return self.media_dir or self.data_dir / "media"
