"""Entry point of the background indexer process (``python -m wenyuan.app._indexer_main``).

Reads the settings as one JSON line on stdin, follows the change feed into the search index
until the parent writes ``done`` (or closes stdin), applies what is left and exits. A module
of its own, which the package never imports, so ``-m`` runs it exactly once.
"""

from __future__ import annotations

import sys
import threading

from wenyuan.app.platform import Platform
from wenyuan.core.config import Settings
from wenyuan.core.logging import configure_logging


def main() -> None:
    settings = Settings.model_validate_json(sys.stdin.readline())
    configure_logging(settings.log_level, json=settings.log_json)
    done = threading.Event()

    def wait_for_done() -> None:
        sys.stdin.readline()  # "done", or end of file if the parent died
        done.set()

    threading.Thread(target=wait_for_done, daemon=True).start()
    platform = Platform(settings)
    try:
        platform.sync_index(follow=lambda: not done.is_set())
    finally:
        platform.close()


if __name__ == "__main__":
    main()
