"""reach-sim: a synthetic brokerage for Reach.

reach-sim generate --clients 10000 --days 30 --out month.jsonl
reach-sim publish --clients 10000 --days 30                 (as fast as possible)
reach-sim publish --from month.jsonl --rate 2000            (events per second)
reach-sim publish --clients 2000 --days 5 --speed 360       (a trading day in about a minute;
                                                            prints the CLOCK_* settings that let
                                                            the services follow simulated time)
reach-sim respond --chance 0.3 --baseline 0.05              (clients answer what Reach sends)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from reach_runtime.clock import ScaledClock, SystemClock

from reach_sim.brokerage import Brokerage
from reach_sim.calendar import SHANGHAI
from reach_sim.output import Pacer, publish, read_jsonl, write_jsonl
from reach_sim.population import population
from reach_sim.responses import ANY, ResponseModel, ResponseRates, respond


def brokerage(args: argparse.Namespace) -> Brokerage:
    start = args.start or (datetime.now(SHANGHAI).date() - timedelta(days=args.days))
    clients = population(args.clients, seed=args.seed, start=start, days=args.days)
    return Brokerage(clients, seed=args.seed, start=start, days=args.days)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="reach-sim", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("generate", "publish"):
        command = commands.add_parser(name)
        command.add_argument("--clients", type=int, default=10_000)
        command.add_argument("--days", type=int, default=30, help="calendar days simulated")
        command.add_argument("--seed", type=int, default=7)
        command.add_argument(
            "--start", type=date.fromisoformat, help="first day (default: --days ago)"
        )
    commands.choices["generate"].add_argument("--out", type=Path, required=True)
    pub = commands.choices["publish"]
    pub.add_argument(
        "--from", dest="source", type=Path, help="a JSON-lines file instead of generating"
    )
    pub.add_argument("--rate", type=float, help="events per second (default: as fast as possible)")
    pub.add_argument("--speed", type=float, help="simulated seconds per wall second")
    for command in (pub, commands.add_parser("respond")):
        command.add_argument("--bootstrap", default="127.0.0.1:9092")
        command.add_argument(
            "--prefix", default="", help="topic prefix (KAFKA_TOPIC_PREFIX of the services)"
        )
        command.add_argument("--no-progress", action="store_true")
    res = commands.choices["respond"]
    res.add_argument("--chance", type=float, default=0.30, help="conversion chance after a touch")
    res.add_argument("--baseline", type=float, default=0.05, help="conversion chance without one")
    res.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    if args.command == "generate":
        count = write_jsonl(brokerage(args).history(), args.out)
        print(f"wrote {count:,} events to {args.out}")
        return 0
    if args.command == "respond":
        model = ResponseModel(
            ResponseRates({(ANY, ANY): args.chance}, args.baseline), seed=args.seed
        )
        try:
            asyncio.run(
                respond(model, bootstrap=args.bootstrap, prefix=args.prefix, clock=SystemClock())
            )
        except KeyboardInterrupt:
            print(
                f"touched {model.touched}, converted {model.converted}; held out {model.held_out}, "
                f"converted {model.held_out_converted}"
            )
        return 0
    events = read_jsonl(args.source) if args.source else brokerage(args).history()
    pacer = None
    if args.rate:
        pacer = Pacer(rate=args.rate)
    elif args.speed:
        events = iter(events)
        first = next(events)
        clock = ScaledClock(start=first.occurred_at, wall_start=time.time(), speed=args.speed)
        print(
            f"CLOCK_START={clock.start.isoformat()} CLOCK_WALL_START={clock.wall_start:.3f} "
            f"CLOCK_SPEED={args.speed:g}",
            file=sys.stderr,
        )
        events = _chain(first, events)
        pacer = Pacer(clock=clock)
    started = datetime.now(UTC)
    counts = asyncio.run(
        publish(
            events,
            bootstrap=args.bootstrap,
            prefix=args.prefix,
            pacer=pacer,
            progress=not args.no_progress,
        )
    )
    seconds = (datetime.now(UTC) - started).total_seconds()
    for topic, count in sorted(counts.items()):
        print(f"{topic:28} {count:9,}")
    print(f"{sum(counts.values()):,} events in {seconds:.1f}s")
    return 0


def _chain(first, rest):
    yield first
    yield from rest


if __name__ == "__main__":
    raise SystemExit(main())
