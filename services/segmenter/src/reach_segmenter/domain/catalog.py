"""The live segments as one evaluation plan: which segments read which field, in which order
segments that refer to other segments are evaluated, and which move when a portrait changes."""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from reach_contracts import Portrait

from reach_segmenter.domain.predicate import Predicate, compile_rule
from reach_segmenter.domain.rules import Rule, fields_of, is_time_relative, segments_of


@dataclass(frozen=True)
class SegmentDef:
    """One live segment version, as the evaluators need it."""

    id: str
    name: str
    version: int
    rule: Rule
    fields: frozenset[str] = field(init=False)
    refers_to: frozenset[str] = field(init=False)  # names of the segments the rule reads
    time_relative: bool = field(init=False)
    predicate: Predicate = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "predicate", compile_rule(self.rule))
        object.__setattr__(self, "fields", fields_of(self.rule))
        object.__setattr__(self, "refers_to", segments_of(self.rule))
        object.__setattr__(self, "time_relative", is_time_relative(self.rule))


class CycleError(ValueError):
    pass


def dependency_order(segments: Iterable[SegmentDef]) -> list[SegmentDef]:
    """Segments with every referenced segment before its dependents; raises CycleError."""
    by_name = {s.name: s for s in segments}
    order: list[SegmentDef] = []
    state: dict[str, str] = {}  # name -> visiting | done

    def visit(s: SegmentDef, path: list[str]) -> None:
        if state.get(s.name) == "done":
            return
        if state.get(s.name) == "visiting":
            cycle = [*path[path.index(s.name) :], s.name]
            raise CycleError(f"segments refer to each other in a cycle: {' -> '.join(cycle)}")
        state[s.name] = "visiting"
        for name in sorted(s.refers_to):
            if name in by_name:
                visit(by_name[name], [*path, s.name])
        state[s.name] = "done"
        order.append(s)

    for s in sorted(by_name.values(), key=lambda s: s.name):
        visit(s, [])
    return order


class Catalog:
    """An index over the live segments at one catalog version."""

    def __init__(self, version: int, segments: Iterable[SegmentDef]) -> None:
        self.version = version
        self.ordered = dependency_order(segments)
        self.rank = {s.id: i for i, s in enumerate(self.ordered)}
        self.by_id = {s.id: s for s in self.ordered}
        self.by_name = {s.name: s for s in self.ordered}
        readers: dict[str, list[SegmentDef]] = defaultdict(list)
        dependents: dict[str, list[SegmentDef]] = defaultdict(list)
        for s in self.ordered:
            for name in s.fields:
                readers[name].append(s)
            for name in s.refers_to:
                dependents[name].append(s)
        self.readers = dict(readers)
        self.dependents = dict(dependents)

    def ids_by_name(self) -> dict[str, str]:
        return {name: s.id for name, s in self.by_name.items()}

    def reading(self, changed: Collection[str] | None) -> set[str]:
        """Ids of the segments that read any of the changed fields (all when None)."""
        if changed is None:
            return set(self.by_id)
        return {s.id for name in changed for s in self.readers.get(name, ())}

    def downstream(self, segment: SegmentDef) -> list[SegmentDef]:
        """Every segment that depends on `segment`, directly or not, in evaluation order."""
        seen: set[str] = set()
        todo = [segment.name]
        while todo:
            for s in self.dependents.get(todo.pop(), ()):
                if s.id not in seen:
                    seen.add(s.id)
                    todo.append(s.name)
        return sorted((self.by_id[i] for i in seen), key=lambda s: self.rank[s.id])

    def moves(
        self,
        portrait: Portrait,
        now: datetime,
        *,
        member_of: Collection[str],
        changed: Collection[str] | None,
    ) -> list[tuple[SegmentDef, bool]]:
        """(segment, entered?) for each membership the new portrait moves, cascades included.

        Only segments reading a changed field are evaluated, then the dependents of those that
        moved, each after the segments it refers to. `member_of` holds current segment ids.
        """
        names = {self.by_id[i].name for i in member_of if i in self.by_id}
        heap = [self.rank[i] for i in self.reading(changed)]
        heapq.heapify(heap)
        queued = set(heap)
        moved: list[tuple[SegmentDef, bool]] = []
        while heap:
            segment = self.ordered[heapq.heappop(heap)]
            inside = segment.predicate(portrait, now, names)
            if inside == (segment.name in names):
                continue
            moved.append((segment, inside))
            if inside:
                names.add(segment.name)
            else:
                names.discard(segment.name)
            for dependent in self.dependents.get(segment.name, ()):
                if self.rank[dependent.id] not in queued:
                    queued.add(self.rank[dependent.id])
                    heapq.heappush(heap, self.rank[dependent.id])
        return moved
