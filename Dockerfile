# One image for all five Reach services; the command picks the service and its role:
#
#   docker run reach:local reach_campaign all        (api + consumers + outbox relay)
#   docker run reach:local reach_campaign migrate    (apply Alembic migrations, then exit)
#
# Services: reach_profile, reach_segmenter, reach_campaign, reach_notifier, reach_analytics.
# Roles: api, consume, relay, migrate, all (the default).

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
# DATA_DIR: the embedded SQLite files, used only when DATABASE_URL is not set.
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HTTP_HOST=0.0.0.0 \
    DATA_DIR=/data

WORKDIR /app
# Numeric, so Kubernetes' runAsNonRoot can verify it.
USER 10001

ENTRYPOINT ["python", "-m"]
CMD ["reach_profile"]
