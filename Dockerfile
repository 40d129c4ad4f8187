FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml ./
COPY fuxiang ./fuxiang
COPY households ./households
COPY rating ./rating
COPY credit ./credit
COPY qrlookup ./qrlookup
COPY loans ./loans
RUN pip install .

COPY . .
# collectstatic needs settings but no real secrets
RUN DJANGO_DEBUG=1 python manage.py collectstatic --no-input -v 0

RUN useradd --system --home /app fuxiang && mkdir -p /app/media && chown fuxiang /app/media
USER fuxiang
EXPOSE 8000
CMD ["gunicorn", "fuxiang.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--timeout", "120", "--access-logfile", "-"]
