"""Dependencies injected into the API's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from wenyuan.app import Platform

__all__ = ["PlatformDep"]


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]
