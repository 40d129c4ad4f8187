"""Loading the WSGI application does the work of a process's first request that needs no
connection (gunicorn's master does it once, before forking the workers)."""

from __future__ import annotations

import subprocess
import sys

from fuxiang.tests.test_settings import ROOT, production_env

CHECK = """
import sys
import fuxiang.wsgi
print("qrlookup.public_views" in sys.modules, "households.views" in sys.modules)
from django.db import connections
print(any(c.connection is not None for c in connections.all(initialized_only=True)))
"""


def test_loading_the_wsgi_application_imports_the_views_and_connects_to_nothing():
    env = {
        **production_env(),
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": "postgres://nobody:secret@127.0.0.1:1/none",  # nothing listens there
        "DJANGO_SETTINGS_MODULE": "fuxiang.settings",
    }

    result = subprocess.run(  # noqa: S603  (our own module, fixed arguments)
        [sys.executable, "-c", CHECK], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "False"]
