"""`o2c kafka-project` as the tests start it: the same worker, on the test's fixed clock
(argv[1], ISO 8601), so that its read model can be compared row for row with the single
projector's (timed alerts and reviews are as of the projection's clock)."""

from __future__ import annotations

import logging
import sys
from datetime import datetime

from o2c.adapters.kafka import project
from o2c.adapters.kafka.settings import client_settings
from o2c.config import Settings

if __name__ == "__main__":
    now = datetime.fromisoformat(sys.argv[1])
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    project.run(Settings.from_env(), project.ProjectSettings.from_env(), client_settings(), clock=lambda: now)
