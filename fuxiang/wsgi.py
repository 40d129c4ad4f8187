import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fuxiang.settings")

application = get_wsgi_application()

# The URLconf imports every view module: about half a second of CPU that each process would
# otherwise spend in its first request (seconds of waiting on a busy machine, for that request
# and the ones behind it). Done on loading, so with gunicorn's preload_app once in the master,
# before the workers are forked (gunicorn.conf.py); it opens no connection.
get_resolver().url_patterns  # noqa: B018  (the property imports the URLconf)
