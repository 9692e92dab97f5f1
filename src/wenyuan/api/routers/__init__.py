"""The API's routers, one module per resource; ``wenyuan.api`` mounts them."""

__all__: list[str] = []
