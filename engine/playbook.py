"""Playbooks: a sales methodology as configuration (BEHAVIORS.md, "Methodology as configuration").

A playbook names the behaviors a team expects in a call, who must perform them and when, how
much each weighs in the scorecard, the coaching a rep gets for a miss, the deal stages with
their exit criteria, and custom trackers: behaviors defined by example sentences. Bundled
playbooks live in ``engine/playbooks/*.yaml`` (``discovery`` is the default; ``meddic``,
``spiced``, ``bant``); a team keeps its own in the folder ``$DEALPROOF_PLAYBOOK_DIR``, where
they are found by name too (and take the place of a bundled one of the same name); any YAML
file of the same shape can be given by path.

Schema (keys not listed are an error)::

    name: meddic                        # required; becomes the scorecard's "playbook"
    description: MEDDIC qualification   # optional text
    expected_behaviors:                 # required, at least one; the scorecard's items, in order
      - behavior: agenda_set            # required; a built-in behavior or a tracker below;
                                        #   each behavior at most once
        coaching: "Open with ..."       # required; shown to the rep when the item is missed
        role: rep                       # rep | prospect | any (default any)
        within_minutes: 5               # number > 0: evidence must start in the first N
                                        #   minutes; null/absent: anywhere in the call
        weight: 2                       # number > 0 (default 1)
        min_confidence: 0.5             # 0..1; weaker evidence does not count (default 0)
    stages:                             # optional; the deal stages, in order
      - name: Evaluation                # required, unique
        description: Who decides, and with what money   # optional
        exit_criteria:                  # required, at least one, no repeats: the behaviors
          - budget_discussed            #   that need verified evidence before the deal
          - decision_process_confirmed  #   leaves this stage
    trackers:                           # optional; custom behaviors defined by example
      - name: champion                  # required; snake_case, unique, not a built-in name
        description: ...                # optional text
        role: prospect                  # whose utterances it listens to (default any)
        threshold: 0.6                  # optional similarity in (0, 1]; absent: the
                                        #   tracker detector's own default
        examples: [...]                 # required, at least 10 distinct sentences
        counter_examples: [...]         # optional sentences that must NOT match
    competitors:                        # optional; names as the transcript spells them
      known: [Gong, Chorus, Clari]      # the seller's rivals, as spelled (case matters):
                                        #   every mention is evidence, by whoever says it
      ignore: [Salesforce, Slack]       # never rivals (partners, integrations, tools), in
                                        #   any case: the name finder's guesses are dropped

Every problem in a file raises :class:`~engine.errors.ConfigError` with a one-line message
``<file>:<line>: <where>: <reason>``, the line being that of the offending YAML node (a syntax
error's own mark for invalid YAML).
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal, NoReturn

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from engine.behaviors.catalog import BUILT_IN
from engine.errors import ConfigError

RoleSpec = Literal["rep", "prospect", "any"]
"""Who must perform an expected behavior: the rep, the prospect, or either."""
ROLE_SPECS: tuple[RoleSpec, ...] = ("rep", "prospect", "any")

BUILTIN_BEHAVIORS: tuple[str, ...] = BUILT_IN
"""The behaviors the engine detects itself (``Evidence.behavior``); trackers add more."""

DEFAULT_PLAYBOOK = "discovery"
PLAYBOOK_DIR_ENV = "DEALPROOF_PLAYBOOK_DIR"
"""A folder of the team's own playbooks (``<name>.yaml``), found by name like the bundled."""
MIN_TRACKER_EXAMPLES = 10

_TRACKER_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_TAG = "tag:yaml.org,2002:"


@dataclass(frozen=True)
class ExpectedBehavior:
    """One scorecard item: a behavior the playbook expects, and the coaching for a miss."""

    behavior: str
    coaching: str
    role: RoleSpec = "any"
    within_minutes: float | None = None
    """Evidence must start within this many minutes of the call start; None: anywhere."""
    weight: float = 1.0
    min_confidence: float = 0.0

    def __post_init__(self) -> None:
        if self.role not in ROLE_SPECS:
            raise ValueError(f"role must be one of {ROLE_SPECS}, not {self.role!r}")
        if not (math.isfinite(self.weight) and self.weight > 0):
            raise ValueError(f"weight must be > 0, not {self.weight!r}")
        if self.within_minutes is not None and not (
            math.isfinite(self.within_minutes) and self.within_minutes > 0
        ):
            raise ValueError(f"within_minutes must be > 0 or None, not {self.within_minutes!r}")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ValueError(f"min_confidence must be in [0, 1], not {self.min_confidence!r}")


@dataclass(frozen=True)
class Stage:
    """A deal stage; the deal leaves it once every exit criterion has verified evidence."""

    name: str
    exit_criteria: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class TrackerSpec:
    """A custom behavior, defined by example sentences (and optionally counter-examples)."""

    name: str
    examples: tuple[str, ...]
    description: str = ""
    counter_examples: tuple[str, ...] = ()
    role: RoleSpec = "any"
    """Whose utterances the tracker listens to."""
    threshold: float | None = None
    """Similarity in (0, 1] a sentence needs to match; None: the detector's default."""


@dataclass(frozen=True)
class CompetitorNames:
    """The playbook's word on rivals: names that always are (``known``, as the transcript
    spells them: "Outreach" the vendor, not "outreach" the word) and never are (``ignore``,
    in any case) competitors."""

    known: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()


@dataclass(frozen=True)
class Playbook:
    """A methodology: expected behaviors (in scorecard order), deal stages and trackers."""

    name: str
    expected_behaviors: tuple[ExpectedBehavior, ...]
    description: str = ""
    stages: tuple[Stage, ...] = ()
    trackers: tuple[TrackerSpec, ...] = ()
    competitors: CompetitorNames = CompetitorNames()
    source: str = field(default="", compare=False)
    """Where the playbook was read from (a file path), for messages."""

    def __post_init__(self) -> None:
        if not self.expected_behaviors:
            raise ValueError("a playbook needs at least one expected behavior")
        names = [e.behavior for e in self.expected_behaviors]
        if len(set(names)) != len(names):
            raise ValueError(f"expected behaviors repeat: {names}")

    @property
    def known_behaviors(self) -> frozenset[str]:
        """The behavior names this playbook may refer to: built-in ones and its trackers."""
        return frozenset(BUILTIN_BEHAVIORS) | {t.name for t in self.trackers}

    def tracker(self, name: str) -> TrackerSpec | None:
        """The tracker called ``name``, or None."""
        return next((t for t in self.trackers if t.name == name), None)


def bundled_playbooks() -> list[str]:
    """Names of the playbooks shipped with dealproof, sorted."""
    folder = resources.files("engine").joinpath("playbooks")
    return sorted(
        entry.name.removesuffix(".yaml")
        for entry in folder.iterdir()
        if entry.is_file() and entry.name.endswith(".yaml")
    )


def team_playbooks() -> dict[str, Path]:
    """The team's own playbooks: name (the file's stem, lowercased) → file, from the folder
    ``$DEALPROOF_PLAYBOOK_DIR`` (its ``*.yaml`` files); empty when the variable is unset. A
    team playbook takes the place of a bundled one of the same name. A variable naming no
    folder raises :class:`ConfigError`."""
    value = os.environ.get(PLAYBOOK_DIR_ENV)
    if not value:
        return {}
    folder = Path(value)
    if not folder.is_dir():
        raise ConfigError(f"{PLAYBOOK_DIR_ENV}: no such folder: {folder}")
    return dict(_team_listing(str(folder), folder.stat().st_mtime_ns))


@lru_cache(maxsize=8)
def _team_listing(folder: str, mtime_ns: int) -> tuple[tuple[str, Path], ...]:
    """The folder's playbooks as listed at this modification time: every deal's ledger asks
    for its playbook, and the folder is listed again only when a file comes or goes."""
    return tuple(
        (p.stem.lower(), p)
        for p in sorted(Path(folder).glob("*.yaml"))
        if p.is_file() and p.stem.strip()
    )


def available_playbooks() -> list[str]:
    """Every name ``load_playbook`` takes: the bundled playbooks and the team's, sorted."""
    return sorted(set(bundled_playbooks()) | set(team_playbooks()))


def load_playbook(name_or_path: str | os.PathLike[str]) -> Playbook:
    """Load a playbook by name (case-insensitive: the team's, ``team_playbooks``, else a
    bundled one) or a playbook YAML file by path.

    A bare name that is neither, a path that does not exist, or any problem inside the file
    raises :class:`ConfigError` (with file and line for problems inside the file).
    """
    text = os.fspath(name_or_path)
    if not isinstance(name_or_path, os.PathLike):
        team = team_playbooks().get(text.lower())
        if team is not None:
            return _load_file(team)
        if text.lower() in bundled_playbooks():
            return _load_bundled(text.lower())
    path = Path(text)
    if path.is_file():
        return _load_file(path)
    known = ", ".join(available_playbooks())
    if path.suffix.lower() in (".yaml", ".yml") or len(path.parts) > 1:
        raise ConfigError(f"playbook file not found: {path} (playbooks: {known})")
    raise ConfigError(f"unknown playbook {text!r}: the playbooks are {known}, or give a path")


def _load_file(path: Path) -> Playbook:
    try:
        stat = path.stat()
    except OSError as exc:
        raise ConfigError(f"cannot read playbook {path}: {exc}") from None
    return _load_file_version(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _load_file_version(path: str, mtime_ns: int, size: int) -> Playbook:
    """A playbook file as it is at this modification time and size: an edited file is read
    again, an unchanged one is not."""
    try:
        content = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read playbook {path}: {exc}") from None
    return parse_playbook(content, path)


@cache
def _load_bundled(name: str) -> Playbook:
    resource = resources.files("engine").joinpath("playbooks", f"{name}.yaml")
    return parse_playbook(resource.read_text(encoding="utf-8"), str(resource))


def parse_playbook(text: str, source: str = "<playbook>") -> Playbook:
    """Parse and validate playbook YAML; ``source`` names the file in error messages."""
    loader = yaml.SafeLoader(text)
    try:
        try:
            root = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = 1 if mark is None else mark.line + 1
            context = exc.context
            if context and exc.context_mark is not None and exc.context_mark.line != line - 1:
                context += f" (from line {exc.context_mark.line + 1})"
            reason = " ".join(p for p in (context, exc.problem) if p) or "syntax error"
            raise ConfigError(f"{source}:{line}: invalid YAML: {reason}") from None
        except yaml.YAMLError as exc:
            reason = " ".join(str(exc).split())
            raise ConfigError(f"{source}:1: invalid YAML: {reason}") from None
        if root is None:
            raise ConfigError(f"{source}:1: the playbook is empty")
        return _Reader(source, loader).playbook(root)
    finally:
        loader.dispose()


# --------------------------------------------------------------------------- validation

_Entries = dict[str, tuple[Node, Node]]


class _Reader:
    """Builds a Playbook from the composed YAML node tree, so every error has its line."""

    def __init__(self, source: str, loader: yaml.SafeLoader) -> None:
        self.source = source
        self.loader = loader

    def fail(self, node: Node, where: str, reason: str) -> NoReturn:
        prefix = f"{where}: " if where else ""
        raise ConfigError(f"{self.source}:{node.start_mark.line + 1}: {prefix}{reason}")

    # ---- generic shapes

    def mapping(
        self, node: Node, where: str, required: Iterable[str], optional: Iterable[str]
    ) -> _Entries:
        """Key → (key node, value node); unknown, repeated and missing keys are errors."""
        if not isinstance(node, MappingNode):
            self.fail(node, where, f"must be a mapping of keys to values, not {_kind(node)}")
        required = tuple(required)
        allowed = (*required, *optional)
        seen: set[str] = set()
        for key_node, _ in node.value:
            if key_node.tag == _TAG + "merge":
                continue
            key = self._key(key_node, where)
            if key in seen:
                self.fail(key_node, where, f"key {key!r} appears twice")
            seen.add(key)
        # Merge keys (<<: *anchor) are flattened the way PyYAML itself would; later wins.
        self.loader.flatten_mapping(node)
        entries: _Entries = {}
        for key_node, value_node in node.value:
            key = self._key(key_node, where)
            if key not in allowed:
                hint = _did_you_mean(key, allowed)
                self.fail(
                    key_node, where, f"unknown key {key!r}{hint} (allowed: {', '.join(allowed)})"
                )
            entries[key] = (key_node, value_node)
        for key in required:
            if key not in entries:
                self.fail(node, where, f"missing required key {key!r}")
        return entries

    def _key(self, node: Node, where: str) -> str:
        if not (isinstance(node, ScalarNode) and node.tag == _TAG + "str"):
            self.fail(node, where, f"keys must be strings, not {_kind(node)}")
        return str(node.value)

    def sequence(self, node: Node, where: str, *, min_items: int = 0) -> list[Node]:
        if not isinstance(node, SequenceNode):
            self.fail(node, where, f"must be a list, not {_kind(node)}")
        if len(node.value) < min_items:
            self.fail(node, where, f"must list at least {min_items}, not {len(node.value)}")
        return list(node.value)

    def string(self, node: Node, where: str) -> str:
        if not (isinstance(node, ScalarNode) and node.tag == _TAG + "str"):
            self.fail(node, where, f"must be a string, not {_kind(node)}")
        value = " ".join(str(node.value).split())
        if not value:
            self.fail(node, where, "must not be empty")
        return value

    def number(self, node: Node, where: str) -> float:
        if not (isinstance(node, ScalarNode) and node.tag in (_TAG + "int", _TAG + "float")):
            self.fail(node, where, f"must be a number, not {_kind(node)}")
        value = float(self.loader.construct_object(node))
        if not math.isfinite(value):
            self.fail(node, where, f"must be a finite number, not {node.value}")
        return value

    def is_null(self, node: Node) -> bool:
        return isinstance(node, ScalarNode) and node.tag == _TAG + "null"

    def role(self, node: Node, where: str) -> RoleSpec:
        value = self.string(node, where)
        for role in ROLE_SPECS:
            if value == role:
                return role
        self.fail(node, where, f"must be rep, prospect or any, not {value!r}")

    def behavior(self, node: Node, where: str, known: frozenset[str]) -> str:
        name = self.string(node, where)
        if name not in known:
            hint = _did_you_mean(name, known)
            trackers = sorted(known - set(BUILTIN_BEHAVIORS))
            defined = f"; trackers in this file: {', '.join(trackers)}" if trackers else ""
            self.fail(
                node,
                where,
                f"unknown behavior {name!r}{hint} (built-in: {', '.join(BUILTIN_BEHAVIORS)}"
                f"{defined})",
            )
        return name

    # ---- the playbook itself

    def playbook(self, root: Node) -> Playbook:
        if not isinstance(root, MappingNode):
            self.fail(
                root, "", f"a playbook must be a mapping of keys to values, not {_kind(root)}"
            )
        entries = self.mapping(
            root,
            "",
            ("name", "expected_behaviors"),
            ("description", "stages", "trackers", "competitors"),
        )
        name = self.string(entries["name"][1], "name")
        description = self._opt_text(entries, "description", "description")

        trackers: list[TrackerSpec] = []
        if "trackers" in entries:
            for i, node in enumerate(self.sequence(entries["trackers"][1], "trackers")):
                seen = {t.name for t in trackers}
                trackers.append(self.tracker(node, f"trackers[{i}]", seen))
        known = frozenset(BUILTIN_BEHAVIORS) | {t.name for t in trackers}
        by_name = {t.name: t for t in trackers}

        expected: list[ExpectedBehavior] = []
        items = self.sequence(entries["expected_behaviors"][1], "expected_behaviors", min_items=1)
        for i, node in enumerate(items):
            seen = {e.behavior for e in expected}
            expected.append(self.expected(node, f"expected_behaviors[{i}]", known, by_name, seen))

        stages: list[Stage] = []
        if "stages" in entries:
            for i, node in enumerate(self.sequence(entries["stages"][1], "stages")):
                seen = {s.name for s in stages}
                stages.append(self.stage(node, f"stages[{i}]", known, seen))

        return Playbook(
            name=name,
            description=description,
            expected_behaviors=tuple(expected),
            stages=tuple(stages),
            trackers=tuple(trackers),
            competitors=(
                self.competitors(entries["competitors"][1])
                if "competitors" in entries
                else CompetitorNames()
            ),
            source=self.source,
        )

    def expected(
        self,
        node: Node,
        where: str,
        known: frozenset[str],
        trackers: dict[str, TrackerSpec],
        seen: set[str],
    ) -> ExpectedBehavior:
        entries = self.mapping(
            node,
            where,
            ("behavior", "coaching"),
            ("role", "within_minutes", "weight", "min_confidence"),
        )
        behavior_node = entries["behavior"][1]
        behavior = self.behavior(behavior_node, f"{where}.behavior", known)
        if behavior in seen:
            self.fail(behavior_node, f"{where}.behavior", f"{behavior!r} is expected twice")
        coaching = self.string(entries["coaching"][1], f"{where}.coaching")
        role: RoleSpec = "any"
        if "role" in entries:
            role = self.role(entries["role"][1], f"{where}.role")
            tracker = trackers.get(behavior)
            if tracker is not None and "any" not in (role, tracker.role) and role != tracker.role:
                self.fail(
                    entries["role"][1],
                    f"{where}.role",
                    f"expects the {role} but tracker {behavior!r} only listens to the "
                    f"{tracker.role}",
                )
        within: float | None = None
        if "within_minutes" in entries and not self.is_null(entries["within_minutes"][1]):
            value_node = entries["within_minutes"][1]
            within = self.number(value_node, f"{where}.within_minutes")
            if within <= 0:
                self.fail(
                    value_node, f"{where}.within_minutes", f"must be > 0 or null, not {within:g}"
                )
        weight = 1.0
        if "weight" in entries:
            value_node = entries["weight"][1]
            weight = self.number(value_node, f"{where}.weight")
            if weight <= 0:
                self.fail(value_node, f"{where}.weight", f"must be > 0, not {weight:g}")
        min_confidence = 0.0
        if "min_confidence" in entries:
            value_node = entries["min_confidence"][1]
            min_confidence = self.number(value_node, f"{where}.min_confidence")
            if not 0.0 <= min_confidence <= 1.0:
                self.fail(
                    value_node,
                    f"{where}.min_confidence",
                    f"must be between 0 and 1, not {min_confidence:g}",
                )
        return ExpectedBehavior(
            behavior=behavior,
            coaching=coaching,
            role=role,
            within_minutes=within,
            weight=weight,
            min_confidence=min_confidence,
        )

    def stage(self, node: Node, where: str, known: frozenset[str], seen: set[str]) -> Stage:
        entries = self.mapping(node, where, ("name", "exit_criteria"), ("description",))
        name = self.string(entries["name"][1], f"{where}.name")
        if name in seen:
            self.fail(entries["name"][1], f"{where}.name", f"stage {name!r} is defined twice")
        criteria: list[str] = []
        nodes = self.sequence(entries["exit_criteria"][1], f"{where}.exit_criteria", min_items=1)
        for j, item in enumerate(nodes):
            behavior = self.behavior(item, f"{where}.exit_criteria[{j}]", known)
            if behavior in criteria:
                self.fail(item, f"{where}.exit_criteria[{j}]", f"{behavior!r} is listed twice")
            criteria.append(behavior)
        description = self._opt_text(entries, "description", f"{where}.description")
        return Stage(name=name, exit_criteria=tuple(criteria), description=description)

    def tracker(self, node: Node, where: str, seen: set[str]) -> TrackerSpec:
        entries = self.mapping(
            node,
            where,
            ("name", "examples"),
            ("description", "counter_examples", "role", "threshold"),
        )
        name_node = entries["name"][1]
        name = self.string(name_node, f"{where}.name")
        if not _TRACKER_NAME.match(name):
            self.fail(
                name_node,
                f"{where}.name",
                f"{name!r} must be snake_case (lowercase letters, digits, underscores)",
            )
        if name in BUILTIN_BEHAVIORS:
            self.fail(name_node, f"{where}.name", f"{name!r} is a built-in behavior name")
        if name in seen:
            self.fail(name_node, f"{where}.name", f"tracker {name!r} is defined twice")
        examples = self._sentences(entries["examples"][1], f"{where}.examples")
        if len(examples) < MIN_TRACKER_EXAMPLES:
            self.fail(
                entries["examples"][1],
                f"{where}.examples",
                f"a tracker needs at least {MIN_TRACKER_EXAMPLES} example sentences, "
                f"not {len(examples)}",
            )
        counter: tuple[str, ...] = ()
        if "counter_examples" in entries:
            counter_node = entries["counter_examples"][1]
            counter = self._sentences(counter_node, f"{where}.counter_examples")
            for k, sentence in enumerate(counter):
                if sentence in examples:
                    self.fail(
                        counter_node.value[k],
                        f"{where}.counter_examples[{k}]",
                        f"{sentence!r} is both an example and a counter-example",
                    )
        role: RoleSpec = "any"
        if "role" in entries:
            role = self.role(entries["role"][1], f"{where}.role")
        threshold: float | None = None
        if "threshold" in entries and not self.is_null(entries["threshold"][1]):
            value_node = entries["threshold"][1]
            threshold = self.number(value_node, f"{where}.threshold")
            if not 0.0 < threshold <= 1.0:
                self.fail(value_node, f"{where}.threshold", f"must be in (0, 1], not {threshold:g}")
        return TrackerSpec(
            name=name,
            examples=examples,
            description=self._opt_text(entries, "description", f"{where}.description"),
            counter_examples=counter,
            role=role,
            threshold=threshold,
        )

    def competitors(self, node: Node) -> CompetitorNames:
        entries = self.mapping(node, "competitors", (), ("known", "ignore"))
        lists: dict[str, tuple[str, ...]] = {}
        for key in ("known", "ignore"):
            names: list[str] = []
            where = f"competitors.{key}"
            for k, item in enumerate(
                self.sequence(entries[key][1], where) if key in entries else ()
            ):
                name = self.string(item, f"{where}[{k}]")
                if not any(c.isalpha() for c in name):
                    self.fail(item, f"{where}[{k}]", f"{name!r} is no name: it has no letter")
                if name in names:
                    self.fail(item, f"{where}[{k}]", f"{name!r} is listed twice")
                if key == "ignore" and name in lists["known"]:
                    self.fail(item, f"{where}[{k}]", f"{name!r} is both known and ignored")
                names.append(name)
            lists[key] = tuple(names)
        return CompetitorNames(known=lists["known"], ignore=lists["ignore"])

    def _sentences(self, node: Node, where: str) -> tuple[str, ...]:
        sentences: list[str] = []
        for k, item in enumerate(self.sequence(node, where)):
            sentence = self.string(item, f"{where}[{k}]")
            if sentence in sentences:
                self.fail(item, f"{where}[{k}]", f"{sentence!r} is listed twice")
            sentences.append(sentence)
        return tuple(sentences)

    def _opt_text(self, entries: _Entries, key: str, where: str) -> str:
        if key not in entries or self.is_null(entries[key][1]):
            return ""
        return self.string(entries[key][1], where)


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    tag = str(node.tag).removeprefix(_TAG)
    names = {"str": "a string", "int": "a number", "float": "a number", "bool": "true/false"}
    if tag == "null":
        return "null"
    return f"{names.get(tag, tag)} ({node.value!r})"


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
