"""`python -m reach_segmenter.library load --url http://127.0.0.1:8102 [--update]`, `list`, `check`."""

from __future__ import annotations

import argparse
import asyncio
import sys

import httpx

from reach_segmenter.domain.segment import parse_rule
from reach_segmenter.library import SCENES, library
from reach_segmenter.library.loader import load


async def _load(url: str, timeout_s: float, update: bool) -> int:
    async with httpx.AsyncClient(base_url=url, timeout=timeout_s) as client:
        report = await load(client, update=update, backfill_timeout_s=timeout_s)
    print("\n".join(report.lines()))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reach_segmenter.library", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    loading = commands.add_parser("load", help="create the missing library segments")
    loading.add_argument("--url", default="http://127.0.0.1:8102", help="the segmenter's API")
    loading.add_argument(
        "--timeout", type=float, default=600, help="seconds per request and per back-fill"
    )
    loading.add_argument(
        "--update", action="store_true", help="save the library's version over differing segments"
    )
    commands.add_parser("list", help="the library's segments, in load order")
    commands.add_parser("check", help="validate every rule with the segmenter's parser")
    opts = parser.parse_args(argv)

    segments = library()
    if opts.command == "load":
        return asyncio.run(_load(opts.url, opts.timeout, opts.update))
    if opts.command == "check":
        invalid = 0
        for segment in segments:
            try:
                parse_rule(segment.rule)
            except ValueError as error:
                invalid += 1
                print(f"{segment.name}: {error}", file=sys.stderr)
        print(f"{len(segments)} segments, {invalid} with an invalid rule")
        return 1 if invalid else 0
    for segment in segments:
        print(f"{segment.name:<24} {SCENES[segment.scene]:<45} {segment.description}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
