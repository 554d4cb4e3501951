"""`python -m reach_campaign.library load [--url …] [--segmenter-url …]`, or `list`."""

from __future__ import annotations

import argparse
import asyncio
import sys

import httpx

from reach_campaign.library import library
from reach_campaign.library.loader import load


async def _load(url: str, segmenter_url: str) -> int:
    async with (
        httpx.AsyncClient(base_url=url, timeout=30) as campaigns,
        httpx.AsyncClient(base_url=segmenter_url, timeout=30) as segmenter,
    ):
        report = await load(campaigns, segmenter)
    print("\n".join(report.lines()))
    return 1 if report.missing_segments else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reach_campaign.library", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    loading = commands.add_parser("load", help="create the missing ready-made campaigns as drafts")
    loading.add_argument("--url", default="http://127.0.0.1:8103", help="the campaign API")
    loading.add_argument(
        "--segmenter-url", default="http://127.0.0.1:8102", help="the segmenter API"
    )
    commands.add_parser("list", help="the ready-made campaigns by scene")
    opts = parser.parse_args(argv)
    if opts.command == "load":
        return asyncio.run(_load(opts.url, opts.segmenter_url))
    for entry in library():
        print(f"{entry.scene:<45} {entry.name:<12} {entry.purpose:<9} {entry.description}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
