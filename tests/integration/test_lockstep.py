"""The explorer itself: it must visit every order of conflicting calls, and only one order of
calls that commute."""

import random
from collections import Counter
from math import comb

import pytest
from bson import ObjectId

from slotkeeper.domain.ledger import Claim
from slotkeeper.domain.status import Status
from tests.integration import lockstep

NOBODY = Claim("none", "none", "u", 1, Status.CANCELLED)


def writer(slot_id: str, calls: int, seen: list, name: str):
    def use_case(repos):
        for i in range(calls):
            repos.ledger.settle(slot_id, NOBODY)  # a conditional write that matches nothing
            seen.append(f"{name}{i}")
        return name

    use_case.__name__ = name
    return use_case


def orders(repos, use_cases, seen: list) -> list[tuple]:
    """The order of the calls in every schedule explored (and none stopped on a sleep set)."""
    executions, counts = [], Counter()
    for execution in lockstep.explore(repos, use_cases, seen.clear, counts):
        executions.append(tuple(seen))
        assert [o.value for o in execution.outcomes] == [u.__name__ for u in use_cases]
    assert counts == {"schedules": len(executions)}
    return executions


def test_calls_on_one_document_are_explored_in_every_order(repos):
    slot, seen = str(ObjectId()), []
    found = orders(repos, [writer(slot, 3, seen, "a"), writer(slot, 2, seen, "b")], seen)
    assert len(found) == len(set(found)) == comb(5, 2)


def test_calls_on_different_documents_are_explored_once(repos):
    seen: list = []
    found = orders(
        repos, [writer(str(ObjectId()), 3, seen, "a"), writer(str(ObjectId()), 3, seen, "b")], seen
    )
    assert len(found) == 1


def test_only_the_conflicting_calls_multiply_the_orders(repos):
    shared, seen = str(ObjectId()), []

    def mixed(repos):  # one call on its own document, then one on the shared one
        repos.ledger.settle(str(ObjectId()), NOBODY)
        seen.append("c0")
        repos.ledger.settle(shared, NOBODY)
        seen.append("c1")
        return "mixed"

    found = orders(repos, [writer(shared, 1, seen, "a"), mixed], seen)
    # only the order of a0 and c1 matters: two classes of schedules
    assert len({(s.index("a0") < s.index("c1")) for s in found}) == 2
    assert len(found) == 2


# Random programs, checked against every schedule: a thread reads or writes one of three
# slots, or reads one and then writes one slot or another depending on whether the other
# threads wrote the slot it read (so what a thread does next depends on the order).
def program(rng: random.Random, name: str, slots: list, calls: int, seen: list):
    steps = [(rng.choice("rwb"), rng.choice(slots), rng.choice(slots)) for _ in range(calls)]

    def use_case(repos):
        for i, (kind, slot, other) in enumerate(steps):
            if kind == "w":
                repos.ledger.settle(slot, NOBODY)
            else:
                repos.ledger.read(slot)
            seen.append((name, i, kind, slot))
            if kind == "b":
                written = any(k == "w" and s == slot and n != name for n, _, k, s in seen)
                target = other if written else slot
                repos.ledger.settle(target, NOBODY)
                seen.append((name, f"{i}b", "w", target))
        return name

    use_case.__name__ = name
    return use_case


def trace(seen: list) -> frozenset:
    """A schedule up to the order of commuting calls: which of every two conflicting calls of
    two threads came first."""
    return frozenset(
        (a, b)
        for i, a in enumerate(seen)
        for b in seen[i + 1 :]
        if a[0] != b[0] and a[3] == b[3] and "w" in (a[2], b[2])
    )


def every_schedule(repos, use_cases, seen: list) -> list[frozenset]:
    """Every schedule, without reduction: each thread tried at every step."""
    traces, prefix = [], []
    while True:
        seen.clear()
        taken: list[list] = []

        # (`step` counts the explorer's nodes: none here)
        def choose(step, run, nodes, taken=taken, prefix=prefix):
            if len(taken) < len(prefix):
                taken.append(prefix[len(taken)])
            else:
                taken.append([run.live(), 0])
            options, index = taken[-1]
            return options[index]

        execution, _ = lockstep.run_schedule(repos, use_cases, choose)
        assert execution is not None
        traces.append(trace(seen))
        while taken and taken[-1][1] + 1 >= len(taken[-1][0]):
            taken.pop()
        if not taken:
            return traces
        taken[-1] = [taken[-1][0], taken[-1][1] + 1]
        prefix = taken


@pytest.mark.parametrize("threads, calls", [(2, 4), (3, 2)])
@pytest.mark.parametrize("seed", range(3))
def test_the_explorer_runs_each_order_of_conflicting_calls_exactly_once(
    repos, seed, threads, calls
):
    rng = random.Random(seed)
    slots, seen = [str(ObjectId()) for _ in range(3)], []
    use_cases = [program(rng, f"t{t}", slots, calls, seen) for t in range(threads)]
    expected = set(every_schedule(repos, use_cases, seen))
    counts: Counter = Counter()
    explored = []
    for _ in lockstep.explore(repos, use_cases, seen.clear, counts):
        explored.append(trace(seen))
    assert set(explored) == expected
    assert len(explored) == len(expected)  # never the same order twice
    if threads == 2:
        assert counts["blocked"] == 0  # no replay given up half-way
