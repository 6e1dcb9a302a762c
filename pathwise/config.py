"""Settings shared by every deployable.

Each deployable (API, serving, pipelines) subclasses :class:`CommonSettings` so that the
embedded defaults and the production switches (``PATHWISE_DATABASE_URL``,
``PATHWISE_REDIS_URL`` …) are spelled once.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "PATHWISE_"


class CommonSettings(BaseSettings):
    """State directory, database, event stream and registry locations."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    home: Path = Path(".pathwise")
    database_url: str | None = None
    redis_url: str | None = None
    mlflow_tracking_uri: str | None = None
    shared_data_dir: Path = Path("../shared/data")
    log_format: str = "console"
    log_level: str = "INFO"
    #: Signs the platform's access tokens and the service tokens serving accepts; without one, a
    #: secret is generated once into ``home`` (see :mod:`pathwise.service_auth`).
    secret_key: SecretStr | None = None

    @field_validator("home", mode="after")
    @classmethod
    def _absolute_home(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("log_format")
    @classmethod
    def _known_log_format(cls, value: str) -> str:
        if value not in {"console", "json"}:
            raise ValueError("must be 'console' or 'json'")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return upper

    @field_validator("database_url", "redis_url", "mlflow_tracking_uri", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def db_url(self) -> str:
        """The application database: SQLite under ``home`` unless PostgreSQL is configured."""
        return self.database_url or f"sqlite:///{self.home / 'pathwise.db'}"

    @property
    def mlflow_uri(self) -> str:
        return self.mlflow_tracking_uri or f"sqlite:///{self.home / 'mlflow.db'}"

    @property
    def mlflow_artifacts(self) -> Path:
        return self.home / "mlartifacts"

    def ensure_home(self) -> Path:
        self.home.mkdir(parents=True, exist_ok=True)
        return self.home


class SettingsError(RuntimeError):
    """Raised with one readable line per invalid ``PATHWISE_*`` variable."""


def describe_validation_error(error: ValidationError, prefix: str = ENV_PREFIX) -> str:
    """Turn a pydantic error into lines that name the environment variable at fault."""
    lines = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "?"
        variable = f"{prefix}{field.upper()}"
        lines.append(f"invalid setting {variable}={item.get('input')!r}: {item['msg']}")
    return "\n".join(lines)


T = TypeVar("T", bound=CommonSettings)


def load(cls: type[T]) -> T:
    """Build settings from the environment, raising :class:`SettingsError` on bad values."""
    try:
        return cls()
    except ValidationError as error:
        raise SettingsError(describe_validation_error(error)) from None


def engine_url(url: str) -> str:
    """Plain ``postgresql://`` URLs use the psycopg 3 driver (psycopg2 is not shipped)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
