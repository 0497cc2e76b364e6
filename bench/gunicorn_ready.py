"""gunicorn settings for bench/load.py: each worker leaves a file named after its pid once it can serve.

The fifty agents connect at once and keep their connections: connections made before every worker has loaded the
portal all queue for the first worker that has, and stay there (one worker busy on one core, the others idle, a
third fewer requests served). The bench waits for a file per worker before the agents start.
"""

import os
from pathlib import Path


def post_worker_init(worker):
    Path(os.environ["PORTAL_READY_DIR"], str(worker.pid)).touch()
