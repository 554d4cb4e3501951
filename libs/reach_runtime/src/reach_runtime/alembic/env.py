"""The one Alembic environment of every service; `reach_runtime.migrations` configures it."""

from reach_runtime.migrations import run_env

run_env()
