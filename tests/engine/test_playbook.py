"""Playbooks: the bundled ones load and make sense; bad files fail on the right line."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import ConfigError
from engine.playbook import (
    BUILTIN_BEHAVIORS,
    MIN_TRACKER_EXAMPLES,
    PLAYBOOK_DIR_ENV,
    CompetitorNames,
    ExpectedBehavior,
    Playbook,
    available_playbooks,
    bundled_playbooks,
    load_playbook,
    parse_playbook,
    team_playbooks,
)

BUNDLED = ["bant", "discovery", "meddic", "spiced"]

TEN_EXAMPLES = "\n".join(f"      - Example sentence number {i}." for i in range(10))


def test_bundled_playbooks_are_listed() -> None:
    assert bundled_playbooks() == BUNDLED


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_playbook_loads_and_is_consistent(name: str) -> None:
    playbook = load_playbook(name)
    assert playbook.name == name
    assert playbook.description
    assert playbook.expected_behaviors
    known = set(BUILTIN_BEHAVIORS) | {t.name for t in playbook.trackers}
    for item in playbook.expected_behaviors:
        assert item.behavior in known
        assert item.weight > 0
        assert item.coaching.strip()
    for stage in playbook.stages:
        assert stage.exit_criteria
        assert set(stage.exit_criteria) <= known
    for tracker in playbook.trackers:
        assert tracker.name not in BUILTIN_BEHAVIORS
        assert len(set(tracker.examples)) >= MIN_TRACKER_EXAMPLES
        assert not set(tracker.examples) & set(tracker.counter_examples)
    # every tracker is used somewhere
    used = {e.behavior for e in playbook.expected_behaviors}
    used |= {b for s in playbook.stages for b in s.exit_criteria}
    assert {t.name for t in playbook.trackers} <= used
    # every playbook expects a dated next step
    assert "next_step_dated" in used


def test_bundled_names_are_case_insensitive_and_cached() -> None:
    assert load_playbook("MEDDIC") is load_playbook("meddic")
    assert load_playbook("Spiced").name == "spiced"


def test_discovery_expects_the_agenda_from_the_rep_in_five_minutes() -> None:
    agenda = next(
        e for e in load_playbook("discovery").expected_behaviors if e.behavior == "agenda_set"
    )
    assert agenda.role == "rep"
    assert agenda.within_minutes == 5


@pytest.mark.parametrize(
    ("name", "trackers"),
    [
        ("meddic", {"champion", "pain_identified"}),
        ("spiced", {"situation_explored", "pain_identified", "critical_event"}),
        ("bant", {"pain_identified"}),
        ("discovery", set()),
    ],
)
def test_methodology_trackers(name: str, trackers: set[str]) -> None:
    playbook = load_playbook(name)
    assert {t.name for t in playbook.trackers} == trackers
    for tracker in playbook.trackers:
        if tracker.name in ("champion", "critical_event", "situation_explored"):
            assert len(tracker.examples) >= 10
            assert tracker.counter_examples


def test_methodology_mappings() -> None:
    def behaviors(name: str) -> set[str]:
        return {e.behavior for e in load_playbook(name).expected_behaviors}

    assert {"pain_quantified", "decision_process_confirmed", "champion"} <= behaviors("meddic")
    assert {"pain_quantified", "timeline_agreed", "decision_process_confirmed"} <= behaviors(
        "spiced"
    )
    assert {"budget_discussed", "decision_process_confirmed", "timeline_agreed"} <= behaviors(
        "bant"
    )


def test_custom_playbook_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(
        f"""\
# our own
name: team-discovery
description: How our team runs a first call.
expected_behaviors:
  - behavior: agenda_set
    role: rep
    within_minutes: 3
    weight: 2
    min_confidence: 0.5
    coaching: Say the plan.
  - behavior: security_review
    role: prospect
    within_minutes: null
    coaching: Ask about their security review.
stages:
  - name: Qualify
    exit_criteria: [security_review, budget_discussed]
trackers:
  - name: security_review
    role: prospect
    threshold: 0.7
    examples:
{TEN_EXAMPLES}
    counter_examples:
      - Not this one.
competitors:
  known: [Gong, Clari Copilot]
  ignore:
    - Salesforce
""",
        encoding="utf-8",
    )
    for given in (str(path), path):
        playbook = load_playbook(given)
        assert playbook.name == "team-discovery"
        assert playbook.source == str(path)
        assert playbook.expected_behaviors[0] == ExpectedBehavior(
            "agenda_set", "Say the plan.", "rep", 3.0, 2.0, 0.5
        )
        assert playbook.expected_behaviors[1].within_minutes is None
        assert playbook.expected_behaviors[1].weight == 1.0
        tracker = playbook.tracker("security_review")
        assert tracker is not None
        assert tracker.threshold == 0.7
        assert tracker.counter_examples == ("Not this one.",)
        assert playbook.stages[0].exit_criteria == ("security_review", "budget_discussed")
        assert playbook.competitors == CompetitorNames(("Gong", "Clari Copilot"), ("Salesforce",))


def test_merge_keys_are_supported(tmp_path: Path) -> None:
    text = """\
name: merged
base: &base
  weight: 2
  coaching: Do it.
expected_behaviors:
  - <<: *base
    behavior: agenda_set
"""
    # 'base' is not a playbook key: anchors must live inside allowed keys
    with pytest.raises(ConfigError, match=r":2: unknown key 'base'"):
        parse_playbook(text, "m.yaml")
    text = """\
name: merged
expected_behaviors:
  - &first
    behavior: agenda_set
    weight: 2
    coaching: Do it.
  - <<: *first
    behavior: budget_discussed
    weight: 3
"""
    playbook = parse_playbook(text, "m.yaml")
    assert [(e.behavior, e.weight, e.coaching) for e in playbook.expected_behaviors] == [
        ("agenda_set", 2.0, "Do it."),
        ("budget_discussed", 3.0, "Do it."),
    ]


def test_unknown_name_lists_the_bundled_playbooks() -> None:
    with pytest.raises(ConfigError) as info:
        load_playbook("sandler")
    message = str(info.value)
    assert "'sandler'" in message
    for name in BUNDLED:
        assert name in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="playbook file not found"):
        load_playbook(str(tmp_path / "nope.yaml"))


GOOD_ITEM = "  - behavior: agenda_set\n    coaching: Set the agenda.\n"

# (yaml text, line of the error, a piece of the message)
BAD: list[tuple[str, str, int, str]] = [
    ("syntax", "name: x\n  foo: bar\n", 2, "invalid YAML: mapping values are not allowed"),
    ("unclosed", "name: x\nexpected_behaviors: [agenda_set\n", 3, "invalid YAML"),
    ("tab", "name: x\nexpected_behaviors:\n\t- behavior: a\n", 3, "invalid YAML"),
    ("empty", "", 1, "the playbook is empty"),
    ("comments only", "# nothing\n", 1, "the playbook is empty"),
    ("not a mapping", "- a\n- b\n", 1, "must be a mapping"),
    ("missing name", "expected_behaviors:\n" + GOOD_ITEM, 1, "missing required key 'name'"),
    ("missing expected", "name: x\n", 1, "missing required key 'expected_behaviors'"),
    ("no expected", "name: x\nexpected_behaviors: []\n", 2, "at least 1"),
    ("unknown top key", "name: x\nversion: 2\nexpected_behaviors:\n" + GOOD_ITEM, 2,
     "unknown key 'version'"),
    ("repeated key", "name: x\nname: y\nexpected_behaviors:\n" + GOOD_ITEM, 2,
     "key 'name' appears twice"),
    ("name not a string", "name: [a]\nexpected_behaviors:\n" + GOOD_ITEM, 1,
     "name: must be a string, not a list"),
    ("expected not a list", "name: x\nexpected_behaviors:\n  agenda_set: 1\n", 3,
     "must be a list"),
    ("item missing coaching", "name: x\nexpected_behaviors:\n" + GOOD_ITEM
     + "  - behavior: budget_discussed\n    weight: 2\n", 5,
     "expected_behaviors[1]: missing required key 'coaching'"),
    ("unknown item key", "name: x\nexpected_behaviors:\n" + GOOD_ITEM + "    wieght: 2\n", 5,
     "unknown key 'wieght' (did you mean 'weight'?)"),
    ("unknown behavior", "name: x\nexpected_behaviors:\n" + GOOD_ITEM
     + "  - behavior: budget_discused\n    coaching: c\n", 5,
     "unknown behavior 'budget_discused' (did you mean 'budget_discussed'?)"),
    ("weight is text", "name: x\nexpected_behaviors:\n" + GOOD_ITEM + "    weight: heavy\n", 5,
     "weight: must be a number, not a string"),
    ("weight is a quoted number", "name: x\nexpected_behaviors:\n" + GOOD_ITEM
     + "    weight: '2'\n", 5, "must be a number"),
    ("weight zero", "name: x\nexpected_behaviors:\n" + GOOD_ITEM + "    weight: 0\n", 5,
     "weight: must be > 0, not 0"),
    ("weight negative", "name: x\nexpected_behaviors:\n" + GOOD_ITEM + "    weight: -1.5\n", 5,
     "must be > 0, not -1.5"),
    ("weight infinite", "name: x\nexpected_behaviors:\n" + GOOD_ITEM + "    weight: .inf\n", 5,
     "finite"),
    ("bad role", "name: x\nexpected_behaviors:\n" + GOOD_ITEM + "    role: manager\n", 5,
     "role: must be rep, prospect or any, not 'manager'"),
    ("within zero", "name: x\nexpected_behaviors:\n" + GOOD_ITEM + "    within_minutes: 0\n", 5,
     "within_minutes: must be > 0 or null"),
    ("within bool", "name: x\nexpected_behaviors:\n" + GOOD_ITEM
     + "    within_minutes: true\n", 5, "must be a number, not true/false"),
    ("confidence above 1", "name: x\nexpected_behaviors:\n" + GOOD_ITEM
     + "    min_confidence: 1.5\n", 5, "min_confidence: must be between 0 and 1"),
    ("empty coaching", "name: x\nexpected_behaviors:\n  - behavior: agenda_set\n"
     "    coaching: '  '\n", 4, "coaching: must not be empty"),
    ("duplicate behavior", "name: x\nexpected_behaviors:\n" + GOOD_ITEM + GOOD_ITEM, 5,
     "expected_behaviors[1].behavior: 'agenda_set' is expected twice"),
    ("stage unknown behavior", "name: x\nexpected_behaviors:\n" + GOOD_ITEM
     + "stages:\n  - name: One\n    exit_criteria:\n      - agenda_set\n      - champion\n", 9,
     "stages[0].exit_criteria[1]: unknown behavior 'champion'"),
    ("stage without criteria", "name: x\nexpected_behaviors:\n" + GOOD_ITEM
     + "stages:\n  - name: One\n    exit_criteria: []\n", 7, "at least 1"),
    ("stage twice", "name: x\nexpected_behaviors:\n" + GOOD_ITEM
     + "stages:\n  - name: One\n    exit_criteria: [agenda_set]\n"
     "  - name: One\n    exit_criteria: [agenda_set]\n", 8, "stage 'One' is defined twice"),
    ("tracker with 9 examples", "name: x\nexpected_behaviors:\n" + GOOD_ITEM
     + "trackers:\n  - name: champion\n    examples:\n"
     + "\n".join(f"      - Example {i}." for i in range(9)) + "\n", 8,
     "at least 10 example sentences, not 9"),
    ("tracker repeats an example", "name: x\nexpected_behaviors:\n" + GOOD_ITEM
     + "trackers:\n  - name: champion\n    examples:\n" + TEN_EXAMPLES
     + "\n      - Example sentence number 3.\n", 18, "is listed twice"),
    ("tracker named like a built-in", "name: x\nexpected_behaviors:\n" + GOOD_ITEM
     + "trackers:\n  - name: agenda_set\n    examples:\n" + TEN_EXAMPLES + "\n", 6,
     "'agenda_set' is a built-in behavior name"),
    ("tracker name not snake_case", "name: x\nexpected_behaviors:\n" + GOOD_ITEM
     + "trackers:\n  - name: Champion Talk\n    examples:\n" + TEN_EXAMPLES + "\n", 6,
     "must be snake_case"),
    ("tracker bad role", "name: x\nexpected_behaviors:\n" + GOOD_ITEM
     + "trackers:\n  - name: champion\n    role: buyer\n    examples:\n" + TEN_EXAMPLES + "\n",
     7, "trackers[0].role: must be rep, prospect or any"),
    ("tracker threshold above 1", "name: x\nexpected_behaviors:\n" + GOOD_ITEM
     + "trackers:\n  - name: champion\n    threshold: 2\n    examples:\n" + TEN_EXAMPLES
     + "\n", 7, "threshold: must be in (0, 1]"),
    ("counter-example is an example", "name: x\nexpected_behaviors:\n" + GOOD_ITEM
     + "trackers:\n  - name: champion\n    examples:\n" + TEN_EXAMPLES
     + "\n    counter_examples:\n      - Not one.\n      - Example sentence number 0.\n", 20,
     "both an example and a counter-example"),
    ("role conflicts with tracker", "name: x\nexpected_behaviors:\n"
     + "  - behavior: champion\n    role: rep\n    coaching: c\n"
     + "trackers:\n  - name: champion\n    role: prospect\n    examples:\n" + TEN_EXAMPLES
     + "\n", 4, "tracker 'champion' only listens to the prospect"),
    ("competitors not a mapping", "name: x\nexpected_behaviors:\n" + GOOD_ITEM
     + "competitors: [Gong]\n", 5, "competitors: must be a mapping"),
    ("competitors unknown key", "name: x\nexpected_behaviors:\n" + GOOD_ITEM
     + "competitors:\n  rivals: [Gong]\n", 6, "unknown key 'rivals'"),
    ("competitor not a string", "name: x\nexpected_behaviors:\n" + GOOD_ITEM
     + "competitors:\n  known:\n    - Gong\n    - 42\n", 8,
     "competitors.known[1]: must be a string, not a number"),
    ("competitor twice", "name: x\nexpected_behaviors:\n" + GOOD_ITEM
     + "competitors:\n  known: [Gong, Gong]\n", 6, "competitors.known[1]: 'Gong' is listed twice"),
    ("competitor without a letter", "name: x\nexpected_behaviors:\n" + GOOD_ITEM
     + "competitors:\n  ignore: ['--']\n", 6, "'--' is no name"),
    ("competitor known and ignored", "name: x\nexpected_behaviors:\n" + GOOD_ITEM
     + "competitors:\n  known: [Gong]\n  ignore: [Slack, Gong]\n", 7,
     "competitors.ignore[1]: 'Gong' is both known and ignored"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "reason"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_malformed_playbook_fails_on_its_line(
    tmp_path: Path, text: str, line: int, reason: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_playbook(str(path))
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert reason in message, message
    assert "\n" not in message


def test_a_tracker_can_be_expected_and_fit_its_role(tmp_path: Path) -> None:
    text = (
        "name: x\nexpected_behaviors:\n  - behavior: champion\n    role: prospect\n"
        "    coaching: c\ntrackers:\n  - name: champion\n    role: prospect\n    examples:\n"
        + TEN_EXAMPLES
        + "\n"
    )
    playbook = parse_playbook(text, "ok.yaml")
    assert playbook.known_behaviors == frozenset(BUILTIN_BEHAVIORS) | {"champion"}


def test_programmatic_playbooks_are_checked_too() -> None:
    with pytest.raises(ValueError):
        ExpectedBehavior("agenda_set", "c", weight=0)
    with pytest.raises(ValueError):
        Playbook("x", ())
    item = ExpectedBehavior("agenda_set", "c")
    with pytest.raises(ValueError):
        Playbook("x", (item, item))


def test_team_playbooks_are_found_by_name_and_read_again_when_edited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PLAYBOOK_DIR_ENV, raising=False)
    assert team_playbooks() == {}
    assert available_playbooks() == BUNDLED
    folder = tmp_path / "playbooks"
    monkeypatch.setenv(PLAYBOOK_DIR_ENV, str(folder))
    with pytest.raises(ConfigError, match="no such folder"):
        load_playbook("discovery")
    folder.mkdir()
    team = folder / "Team.yaml"
    team.write_text("name: team\nexpected_behaviors:\n" + GOOD_ITEM)
    # a team playbook takes the place of a bundled one of the same name
    (folder / "bant.yaml").write_text("name: our-bant\nexpected_behaviors:\n" + GOOD_ITEM)
    assert team_playbooks() == {"bant": folder / "bant.yaml", "team": team}
    assert available_playbooks() == sorted({*BUNDLED, "team"})
    assert load_playbook("TEAM").name == "team"
    assert load_playbook("bant").name == "our-bant"
    assert load_playbook("meddic").name == "meddic"
    team.write_text("name: team-v2\nexpected_behaviors:\n" + GOOD_ITEM + "    weight: 3\n")
    assert load_playbook("team").name == "team-v2"
    with pytest.raises(ConfigError, match="team, "):  # the message lists what there is
        load_playbook("nope")
