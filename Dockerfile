# One image for all five Reach services; the command picks the service and its role:
#
#   docker run reach:local reach_campaign all        (api + consumers + outbox relay)
#   docker run reach:local reach_campaign migrate    (apply Alembic migrations, then exit)
#
# Services: reach_profile, reach_segmenter, reach_campaign, reach_notifier, reach_analytics.
# Roles: api, consume, relay, migrate, replay, all (the default).
#
# Two stages: `build` has uv and compiles the locked workspace into /app/.venv; the final
# stage has only that virtualenv, runs as uid 10001 and works on a read-only root
# filesystem (bytecode is compiled at build time; /tmp and /data are the writable mounts).
# Every role listens on HTTP_PORT (8080 in the image; compose and the Helm chart set each
# service's own), and the HEALTHCHECK asks /healthz there.

FROM python:3.11-slim AS build

# uv from PyPI (pinned), so the build needs no registry other than PyPI.
RUN pip install --no-cache-dir uv==0.13.9

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv

WORKDIR /src

# Third-party dependencies first: this layer is rebuilt only when uv.lock changes.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-workspace

# Then the workspace, installed as wheels (not editable) so the runtime stage needs no sources.
COPY . .
RUN uv sync --frozen --no-dev --no-editable


FROM python:3.11-slim

RUN groupadd --system --gid 10001 reach \
 && useradd --system --uid 10001 --gid reach --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin reach \
 && mkdir -p /data \
 && chown reach:reach /data

COPY --from=build /app/.venv /app/.venv

# HTTP_HOST: a container must listen beyond its loopback to be reachable.
# HTTP_PORT: one known port, so the HEALTHCHECK below finds the API whatever the service.
# DATA_DIR: the embedded SQLite files, used only when DATABASE_URL is not set.
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8080 \
    DATA_DIR=/data

EXPOSE 8080

WORKDIR /app
# Numeric, so Kubernetes' runAsNonRoot can verify it.
USER 10001

# Liveness of the process (readiness, which also asks the database and Kafka, is /readyz).
# Kubernetes ignores this and uses the chart's probes; the one-shot roles (migrate, replay)
# serve no HTTP and exit before it matters.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; r.urlopen('http://127.0.0.1:%s/healthz' % os.environ['HTTP_PORT'], timeout=3)"]

ENTRYPOINT ["python", "-m"]
CMD ["reach_profile"]
