# syntax=docker/dockerfile:1
# One image for every Jobdeck service (producer API, worker service, runners, dashboard,
# migrations); docker-compose.yml chooses each container's command.

# --- the dashboard's browser libraries, vendored so no page loads anything from a CDN ---
FROM node:20-slim AS assets
WORKDIR /build/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/scripts ./scripts
RUN node scripts/copy-vendor.mjs

# --- the Python services ---
FROM python:3.11-slim
# Containers log JSON lines (README, Logs); LOG_FORMAT=text in .env turns it back.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LOG_FORMAT=json \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# The pinned tree first, in its own layer: code changes do not reinstall dependencies.
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY . .
RUN pip install --no-deps . && rm -rf build *.egg-info
COPY --from=assets /build/frontend/static/vendor ./frontend/static/vendor

# Services run unprivileged; .data holds the runners' outbox (see docker-compose.yml).
RUN useradd --create-home --uid 10001 jobdeck \
    && mkdir -p .data/outbox \
    && chown -R jobdeck .data
USER jobdeck

EXPOSE 8000 3000 3001
CMD ["uvicorn", "producer_api.main:app", "--lifespan", "on", "--host", "0.0.0.0", "--port", "8000"]
