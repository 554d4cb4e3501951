"""Write the JSON Schemas and the AsyncAPI document generated from the models, or check them."""

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reach_contracts.asyncapi import build_asyncapi, schema_path
from reach_contracts.topics import TOPICS

CONTRACTS_DIR = Path(__file__).resolve().parents[2]
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def render() -> dict[str, str]:
    """Every generated file's text, keyed by its path relative to the contracts directory."""
    files = {}
    for topic in TOPICS.values():
        for event in topic.events:
            schema = {"$schema": JSON_SCHEMA_DIALECT, **event.model_json_schema(mode="validation")}
            files[schema_path(topic, event)] = _to_json(schema)
    files["asyncapi.json"] = _to_json(build_asyncapi())
    return dict(sorted(files.items()))


def stale_files(root: Path = CONTRACTS_DIR) -> list[str]:
    """Generated files under root that are missing, differ, or are no longer generated."""
    expected = render()
    stale = [
        path
        for path, text in expected.items()
        if not (root / path).is_file() or (root / path).read_text(encoding="utf-8") != text
    ]
    stale += [path for path in _existing_schemas(root) if path not in expected]
    return sorted(stale)


def write_files(root: Path = CONTRACTS_DIR) -> list[str]:
    """Bring the generated files under root up to date; return the paths changed or removed."""
    changed = stale_files(root)
    expected = render()
    for path in changed:
        target = root / path
        if path in expected:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(expected[path], encoding="utf-8", newline="\n")
        else:
            target.unlink()
    for directory in sorted((root / "schemas").glob("*/"), reverse=True):
        if directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: regenerate the files, or with --check list stale ones and exit 1."""
    parser = argparse.ArgumentParser(prog="reach-contracts", description=__doc__)
    parser.add_argument("--check", action="store_true", help="list stale files, write nothing")
    parser.add_argument("--root", type=Path, default=CONTRACTS_DIR, help="contracts directory")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files(args.root)
        for path in stale:
            print(f"stale: {path}", file=sys.stderr)
        if stale:
            print("run `reach-contracts` to regenerate", file=sys.stderr)
        return 1 if stale else 0
    for path in write_files(args.root):
        print(f"wrote: {path}")
    return 0


def _to_json(document: Any) -> str:
    """Deterministic JSON text: sorted keys, two-space indent, UTF-8, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _existing_schemas(root: Path) -> list[str]:
    """Schema files currently on disk, relative to root."""
    return [path.relative_to(root).as_posix() for path in (root / "schemas").glob("*/*.json")]


if __name__ == "__main__":
    raise SystemExit(main())
