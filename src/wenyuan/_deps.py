"""What the JSON API and the web pages both inject into their routes: the running ``Platform``.

Here, beside ``_guards``, because the two interfaces may not import each other (the layer
rules of DESIGN.md) and the application layer knows nothing of HTTP requests. The platform
is opened in the app's lifespan (``wenyuan.asgi``) and kept on ``app.state``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from wenyuan.app import Platform

__all__ = ["PlatformDep", "get_platform"]


def get_platform(request: Request) -> Platform:
    """The platform the serving app opened in its lifespan."""
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]
"""A route parameter typed ``PlatformDep`` receives the running ``Platform``."""
