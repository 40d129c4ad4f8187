"""Settings of the lookup benchmark's server: the project's, plus a bare view to compare with
and a throw-away STATIC_ROOT (collected by the benchmark). Not used anywhere else."""

import os
from pathlib import Path

from fuxiang.settings import *  # noqa: F403

ROOT_URLCONF = "bench_lookup_urls"
STATIC_ROOT = Path(os.environ["BENCH_STATIC_ROOT"])
