# Production image: gunicorn web, Celery worker and beat share it (docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1

# WeasyPrint needs Pango; libpq for psycopg2 at run time.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b \
    libffi8 fonts-liberation libpq5 curl \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 1000 nsvpp
WORKDIR /app

COPY pyproject.toml README.md ./
RUN pip install --upgrade pip && pip install .

COPY --chown=nsvpp:nsvpp . .
# Static files are collected at build time with throwaway settings; nothing secret is baked in.
RUN DJANGO_DEBUG=false SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost \
    sh deploy/processes collectstatic \
 && mkdir -p /app/var/media && chown -R nsvpp:nsvpp /app/var

USER nsvpp
EXPOSE 8000
# Bind, workers and the access log (secrets redacted) are set in nsvpp/gunicorn.conf.py.
CMD ["sh", "deploy/processes", "web"]
