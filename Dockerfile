FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

# PostgreSQL's client tools for backups and the restore drill (docs/deploy.md)
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

COPY . .
RUN pip install .
# collectstatic needs settings but no real secrets
RUN DJANGO_DEBUG=1 python manage.py collectstatic --no-input -v 0

RUN useradd --system --home /app fuxiang && mkdir -p /app/media && chown fuxiang /app/media
USER fuxiang
EXPOSE 8000
CMD ["gunicorn", "fuxiang.wsgi:application", "--config", "gunicorn.conf.py"]
