"""Request dependencies as ``Annotated`` aliases, one place for the whole API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from platform_api.core.config import APISettings


def get_settings(request: Request) -> APISettings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as session:
        yield session


SettingsDep = Annotated[APISettings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
