"""Run use cases in lockstep, one repository call at a time, and explore every interleaving.

Each database operation is atomic, so the behaviours of concurrent use cases are exactly the
interleavings of their repository calls (each repository call is one database operation; the
harness checks that). Every use case runs in its own thread; the repositories it is given
pause before each call until the scheduler lets that thread go. A schedule is the order in
which the scheduler lets threads go.

`explore` visits every schedule up to equivalence: two calls that touch different documents,
or only read the same one, commute, so schedules that differ only in their order lead to the
same answers and the same final state. It is source-set dynamic partial order reduction
(Abdulla, Aronis, Jonsson and Sagonas, "Optimal dynamic partial order reduction", POPL 2014,
algorithm 1): after each schedule it finds the races, pairs of conflicting calls of two
threads with nothing ordering them in between, and marks the point before the first of the
two as one to come back to with the other thread first. Sleep sets (Godefroid, 1996) keep it
from running two schedules that differ only in the order of commuting calls. Only schedules
that order some race differently are run, so few replays stop half-way on a sleep set (none
with two threads in the explorer's own tests), where the plain sleep-set search spent most of
its replays.
"""

import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import cache

from slotkeeper.repositories import Repositories

EVERYTHING = ("*", "*")
TIMEOUT = 20


class Aborted(BaseException):
    """Unwinds a use case whose schedule the explorer has given up (not an Exception, so that
    no use case code can catch it)."""


@dataclass(frozen=True)
class Access:
    """What one repository call touches: (collection, document id or "*") pairs."""

    reads: frozenset = frozenset()
    writes: frozenset = frozenset()

    def conflicts(self, other: "Access") -> bool:
        return _conflict(self, other)


@cache
def _conflict(one: Access, other: Access) -> bool:
    return _overlap(one.writes, other.writes | other.reads) or _overlap(other.writes, one.reads)


def _overlap(one: frozenset, other: frozenset) -> bool:
    return (
        any(a[0] == b[0] and "*" in (a[1], b[1]) or a == b for a in one for b in other)
        or EVERYTHING in one
        or EVERYTHING in other
    )


@dataclass(frozen=True)
class Call:
    repository: str
    method: str
    access: Access

    def __str__(self) -> str:
        return f"{self.repository}.{self.method}"


def _id(value) -> str:
    return str(getattr(value, "id", value))


def _one(collection: str, argument=0):
    return lambda args, kwargs: {(collection, _id(args[argument]))}


def _many(collection: str):
    return lambda args, kwargs: {(collection, _id(i)) for i in args[0]}


def _scan(collection: str):
    return lambda args, kwargs: {(collection, "*")}


def _idempotency_key(args, kwargs):
    record = args[0] if not isinstance(args[0], str) else None
    user, key = (record.user_id, record.key) if record is not None else (args[0], args[1])
    return {("idempotency_keys", f"{user}/{key}")}


def _new_idempotency_key(args, kwargs):
    return {("idempotency_keys", f"{args[0]['user_id']}/{args[0]['key']}")}


def _new_appointment(args, kwargs):
    return {("appointments", _id(args[0]["id"]))}


# (reads, writes) of every repository method, by the documents it names. A method missing here
# is taken to touch everything, which is always safe (it only costs more schedules).
FOOTPRINTS: dict[tuple[str, str], tuple] = {
    ("services", "get"): (_one("services"), None),
    ("services", "get_many"): (_many("services"), None),
    ("services", "list_page"): (_scan("services"), None),
    ("services", "add"): (None, _scan("services")),
    ("services", "update"): (None, _one("services")),
    ("services", "begin_closing"): (None, _one("services")),
    ("services", "finish_closing"): (None, _one("services")),
    ("services", "stop_closing"): (None, _one("services")),
    ("services", "reopen"): (None, _one("services")),
    ("slots", "get"): (_one("slots"), None),
    ("slots", "get_many"): (_many("slots"), None),
    ("slots", "capacities"): (_many("slots"), None),
    ("slots", "list_page"): (_scan("slots"), None),
    ("slots", "start_times"): (_scan("slots"), None),
    ("slots", "future_with_seats_taken"): (_scan("slots"), None),
    ("slots", "seats_held"): (_scan("slots"), None),
    ("slots", "add"): (None, _scan("slots")),
    ("slots", "add_many"): (None, _scan("slots")),
    ("slots", "delete_if_idle"): (None, _one("slots")),
    ("ledger", "read"): (_one("slots"), None),
    ("ledger", "slots_due"): (_scan("slots"), None),
    ("ledger", "take"): (None, _one("slots")),
    ("ledger", "confirm"): (None, _one("slots")),
    ("ledger", "release"): (None, _one("slots")),
    ("ledger", "settle"): (None, _one("slots")),
    ("ledger", "reset_due"): (None, _one("slots")),
    ("ledger", "mark_used"): (None, _one("slots")),
    ("ledger", "unmark_used"): (None, _one("slots")),
    ("appointments", "get"): (_one("appointments"), None),
    ("appointments", "find"): (_one("appointments"), None),
    ("appointments", "leaving"): (_scan("appointments"), None),
    ("appointments", "stale_holds"): (_scan("appointments"), None),
    ("appointments", "list_page"): (_scan("appointments"), None),
    ("appointments", "add"): (None, _new_appointment),
    ("appointments", "transition"): (None, _one("appointments")),
    ("appointments", "move"): (None, _one("appointments")),
    ("appointments", "left"): (None, _one("appointments")),
    ("idempotency", "add"): (None, _new_idempotency_key),
    ("idempotency", "find"): (_idempotency_key, None),
    ("idempotency", "renew"): (None, _idempotency_key),
    ("idempotency", "forget"): (None, _idempotency_key),
    ("calendars", "read"): (_one("calendars"), None),
    ("calendars", "reserve"): (None, _one("calendars")),
    ("calendars", "reserve_all"): (None, _one("calendars")),
    ("calendars", "free"): (None, _one("calendars")),
    ("calendars", "close"): (None, _one("calendars")),
    ("calendars", "reopen"): (None, _one("calendars")),
    ("calendars", "set_schedule"): (None, _one("calendars")),
    ("calendars", "clear_schedule"): (None, _one("calendars")),
    ("calendars", "scheduled"): (_scan("calendars"), None),
    ("calendars", "forget_ended"): (None, _one("calendars")),
    ("calendars", "take_back"): (None, _one("calendars")),
    ("calendars", "settle_span"): (None, _one("calendars")),
    ("calendars", "settle_closure"): (None, _one("calendars")),
    ("calendars", "due"): (_scan("calendars"), None),
    ("calendars", "reset_due"): (None, _one("calendars")),
    ("tallies", "mark"): (None, _one("tallies")),
    ("tallies", "create"): (None, _one("tallies")),
    ("appointments", "live_of"): (_scan("appointments"), None),
    ("tallies", "read"): (_one("tallies"), None),
    ("tallies", "unmark"): (None, _one("tallies")),
    ("tallies", "move_mark"): (None, _one("tallies")),
    ("appointments", "get_many"): (_many("appointments"), None),
    ("ledger", "join"): (None, _one("slots")),
    ("ledger", "leave"): (None, _one("slots")),
    ("ledger", "offer"): (None, _one("slots")),
    ("ledger", "waiting_of"): (_many("slots"), None),
    ("waitlist", "find"): (_one("waitlist"), None),
    ("waitlist", "get"): (_one("waitlist"), None),
    ("waitlist", "get_many"): (_many("waitlist"), None),
    ("waitlist", "add"): (None, lambda args, kwargs: {("waitlist", _id(args[0]["id"]))}),
    ("waitlist", "offered"): (None, _one("waitlist")),
    ("waitlist", "leave"): (None, _one("waitlist")),
    ("waitlist", "left"): (None, _one("waitlist")),
    ("waitlist", "settle"): (None, _one("waitlist")),
    ("waitlist", "leaving"): (_scan("waitlist"), None),
    ("waitlist", "offered_unsettled"): (_scan("waitlist"), None),
    ("waitlist", "list_page"): (_scan("waitlist"), None),
}
LOCAL = {
    ("appointments", "new_id"),
    ("slots", "new_id"),
    ("waitlist", "new_id"),
}  # no database operation: no pause
# Reads whose results only fill the service and slot embedded in an answer, which the checks
# do not compare: they still pause, but commute with everything.
PRESENTATION = {("services", "get_many"), ("slots", "get_many")}


def footprint(repository: str, method: str, args, kwargs) -> Access:
    if (repository, method) in PRESENTATION:
        return Access()
    known = FOOTPRINTS.get((repository, method))
    if known is None:
        return Access(writes=frozenset({EVERYTHING}))
    reads, writes = (frozenset(f(args, kwargs)) if f else frozenset() for f in known)
    return Access(reads, writes)


REPOSITORIES = (
    "services",
    "slots",
    "ledger",
    "appointments",
    "idempotency",
    "calendars",
    "tallies",
    "waitlist",
)


class _Gate:
    """Forwards to one repository; every call waits for its thread's turn first."""

    def __init__(self, run: "_Run", thread: int, name: str, target):
        self._run, self._thread, self._name, self._target = run, thread, name, target

    def __getattr__(self, method):
        attribute = getattr(self._target, method)
        if not callable(attribute) or method.startswith("_") or (self._name, method) in LOCAL:
            return attribute

        def call(*args, **kwargs):
            if method == "get_many":  # ids may come as a generator: read them once
                args = (list(args[0]), *args[1:])
            self._run.pause(
                self._thread, Call(self._name, method, footprint(self._name, method, args, kwargs))
            )
            return attribute(*args, **kwargs)

        return call


@dataclass
class Outcome:
    """How one use case ended: its value, or the exception it raised."""

    value: object = None
    error: BaseException | None = None


class _Run:
    """One execution of several use cases, each in a thread, advanced one call at a time: a
    thread runs only between the scheduler's `go` and its own next report `back`."""

    def __init__(self, repos: Repositories, use_cases: list[Callable[[Repositories], object]]):
        self.pending: list[Call | None] = [None] * len(use_cases)
        self.finished = [False] * len(use_cases)
        self.abort = False
        self.go = [threading.Semaphore(0) for _ in use_cases]
        self.back = threading.Semaphore(0)
        self.outcomes = [Outcome() for _ in use_cases]
        self.threads = [
            threading.Thread(target=self._body, args=(i, repos, use_case), daemon=True)
            for i, use_case in enumerate(use_cases)
        ]

    def _body(self, thread: int, repos: Repositories, use_case) -> None:
        gated = replace(
            repos,
            **{name: _Gate(self, thread, name, getattr(repos, name)) for name in REPOSITORIES},
        )
        try:
            self.outcomes[thread].value = use_case(gated)
        except Aborted:
            return
        except Exception as error:  # noqa: BLE001 - the outcome of the use case, judged later
            self.outcomes[thread].error = error
        self.finished[thread] = True
        self.back.release()

    def pause(self, thread: int, call: Call) -> None:
        self.pending[thread] = call
        self.back.release()
        if not self.go[thread].acquire(timeout=TIMEOUT):
            raise AssertionError(f"thread {thread} waited too long at {call}")
        if self.abort:
            raise Aborted()
        self.pending[thread] = None

    def _report(self) -> None:
        if not self.back.acquire(timeout=TIMEOUT):
            raise AssertionError("a use case blocked outside the repositories")

    def start(self) -> None:
        for t in self.threads:
            t.start()
            self._report()  # one at a time: each runs to its first call

    def step(self, thread: int) -> None:
        self.go[thread].release()
        self._report()

    def live(self) -> list[int]:
        return [i for i, done in enumerate(self.finished) if not done]

    def stop(self) -> None:
        self.abort = True
        for thread in self.live():
            self.go[thread].release()
        for t in self.threads:
            t.join(TIMEOUT)


@dataclass
class _Node:
    """A point of a schedule where a thread was chosen: the threads to try there (`backtrack`,
    filled by the races found in later schedules), the ones tried, the ones asleep."""

    chosen: int
    sleep: frozenset
    done: set = field(default_factory=set)
    calls: dict = field(default_factory=dict)  # thread -> the call it was paused at
    backtrack: set = field(default_factory=set)
    # the chosen call's happens-before: bit j set when the call chosen at node j is ordered
    # before it (same thread, or conflicting and earlier); None until computed
    before: int | None = None

    @property
    def call(self) -> Call:
        return self.calls[self.chosen]


@dataclass
class Execution:
    outcomes: list[Outcome]
    schedule: list[str]  # "thread:call" in the order they ran


def run_schedule(repos, use_cases, choose) -> tuple[Execution | None, list[_Node]]:
    """Run the use cases, letting `choose(step, run)` pick the thread at every step; it
    returns None to give the schedule up. The execution (None if given up) and its nodes."""
    run = _Run(repos, use_cases)
    nodes: list[_Node] = []
    schedule: list[str] = []
    run.start()
    try:
        while run.live():
            picked = choose(len(nodes), run, nodes)
            if picked is None:
                return None, nodes
            schedule.append(f"{picked}:{run.pending[picked]}")
            run.step(picked)
    finally:
        run.stop()
    return Execution(run.outcomes, schedule), nodes


def explore(
    repos, use_cases, reset: Callable[[], None], counts: Counter | None = None
) -> Iterator[Execution]:
    """Every schedule of the use cases up to the order of commuting calls, each run from the
    state `reset()` restores. `counts`, if given, counts the replays that ran to the end
    ("schedules") and those that stopped on a sleep set ("blocked")."""
    counts = Counter() if counts is None else counts
    prefix: list[_Node] = []
    while True:
        reset()

        def choose(step: int, run: _Run, nodes: list[_Node], prefix=prefix):
            calls = {t: run.pending[t] for t in run.live()}
            if step < len(prefix):
                node = prefix[step]
                node.calls = calls
                nodes.append(node)
                return node.chosen
            if nodes:
                parent = nodes[-1]
                asleep = parent.sleep | parent.done
                sleep = frozenset(
                    t
                    for t in asleep
                    if t in calls and not calls[t].access.conflicts(parent.call.access)
                )
            else:
                sleep = frozenset()
            awake = [t for t in calls if t not in sleep]
            if not awake:
                return None  # every way on is equivalent to one explored already
            nodes.append(_Node(awake[0], sleep, calls=calls, backtrack={awake[0]}))
            return awake[0]

        execution, nodes = run_schedule(repos, use_cases, choose)
        counts["schedules" if execution is not None else "blocked"] += 1
        _mark_races(nodes)
        if execution is not None:
            yield execution
        prefix = _backtrack(nodes)
        if prefix is None:
            return


def _mark_races(nodes: list[_Node]) -> None:
    """For every race in the schedule (calls i < k of two threads that conflict, with no call
    ordered after i and before k), make sure that the point before i will also be tried with
    a thread that can start the schedule where k comes before i."""
    last: dict[int, int] = {}  # thread -> the index of its latest call so far
    for k, node in enumerate(nodes):
        thread = node.chosen
        if node.before is None:
            direct = [j for j in range(k) if nodes[j].call.access.conflicts(node.call.access)]
            if thread in last:
                direct.append(last[thread])
            node.before = 0
            through = 0  # what is ordered before k through another call
            for j in direct:
                node.before |= nodes[j].before | 1 << j
                through |= nodes[j].before
            for i in direct:
                if nodes[i].chosen != thread and not through >> i & 1:
                    _reverse(nodes, i, k)
        last[thread] = k


def _reverse(nodes: list[_Node], i: int, k: int) -> None:
    """Let the node of call i try a thread that begins a schedule where k runs before i: the
    threads of the calls between them not ordered after i, and of k, whose first such call
    has none of them ordered before it (the "initials")."""
    between = [j for j in range(i + 1, k) if not nodes[j].before >> i & 1] + [k]
    initials, seen = [], 0
    for j in between:
        if not nodes[j].before & seen and nodes[j].chosen not in initials:
            initials.append(nodes[j].chosen)
        seen |= 1 << j
    node = nodes[i]
    if not node.backtrack & set(initials):
        thread = nodes[k].chosen
        node.backtrack.add(thread if thread in initials else initials[0])


def _backtrack(nodes: list[_Node]) -> list[_Node] | None:
    while nodes:
        node = nodes.pop()
        node.done.add(node.chosen)
        others = sorted(node.backtrack - node.done - node.sleep)
        if others:
            node.chosen, node.before = others[0], None
            nodes.append(node)
            return nodes
    return None


def sequential(repos, use_cases, order: list[int], reset: Callable[[], None]) -> Execution:
    """The use cases one after another in `order`, each run to its end before the next."""
    reset()

    def choose(step, run, nodes):
        return next(t for t in order if t in run.live())

    execution, _ = run_schedule(repos, use_cases, choose)
    assert execution is not None
    return execution


def random_schedule(repos, use_cases, rng: random.Random, reset) -> Execution:
    reset()
    execution, _ = run_schedule(repos, use_cases, lambda step, run, nodes: rng.choice(run.live()))
    assert execution is not None
    return execution
