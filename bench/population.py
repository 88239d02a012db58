"""The population the benchmark creates: workspaces, users, experiments and grants, drawn from a
seeded random generator (the same seed gives the same population). Pure: no I/O.

Grants cover every workspace level (READ, USE, EDIT, MANAGE, NO_PERMISSIONS, and none), and the
explicit experiment grants override the workspace grant in both directions, following RECIPES.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

# (weight, workspace level) of each user on each workspace; None: no grant at all
WORKSPACE_LEVELS = ((40, None), (18, "READ"), (12, "USE"), (14, "EDIT"), (6, "MANAGE"), (10, "NO_PERMISSIONS"))

# (share in percent, the user's workspace level, the explicit level on one of its experiments)
RECIPES = (
    (20, "READ", "NO_PERMISSIONS"),      # downwards: hidden from a workspace reader
    (8, "EDIT", "NO_PERMISSIONS"),
    (12, "EDIT", "READ"),                # downwards: read-only inside an EDIT workspace
    (5, "MANAGE", "USE"),
    (15, "READ", "EDIT"),                # upwards: may write one experiment of a READ workspace
    (10, "USE", "EDIT"),
    (12, None, "READ"),                  # upwards: one experiment of a workspace without a grant
    (8, None, "EDIT"),
    (5, "NO_PERMISSIONS", "READ"),       # an explicit grant beats a workspace NO_PERMISSIONS
    (5, "NO_PERMISSIONS", "MANAGE"),
)
PREFIX_PATTERN = re.compile(r"^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$")


@dataclass
class Population:
    """Names, passwords and grants; experiments are keyed by name until the server gives ids."""

    prefix: str
    workspaces: list[str]
    experiments: dict[str, str]  # name -> workspace
    passwords: dict[str, str]  # username -> password
    workspace_grants: dict[str, dict[str, str]] = field(default_factory=dict)  # user -> workspace -> level
    experiment_grants: dict[str, dict[str, str]] = field(default_factory=dict)  # user -> experiment name -> level


def check_prefix(prefix: str) -> str:
    """The prefix, when workspace names built from it are valid ('<prefix>-w00')."""
    if not PREFIX_PATTERN.match(prefix) or "--" in prefix:
        raise ValueError(f"prefix '{prefix}' must be lowercase letters, digits and single hyphens, "
                         "starting and ending with a letter or digit (at most 42 characters)")
    return prefix


def draw(prefix: str, seed: int, workspaces: int = 10, users: int = 50, experiments: int = 200,
         experiment_grants: int = 100) -> Population:
    """A population of the given sizes; the same arguments give the same population."""
    rng = random.Random(seed)
    check_prefix(prefix)
    names = [f"{prefix}-w{i:02d}" for i in range(workspaces)]
    population = Population(
        prefix=prefix, workspaces=names,
        experiments={f"{prefix}-e{i:03d}": names[i % workspaces] for i in range(experiments)},
        passwords={f"{prefix}-u{i:02d}": f"bench-{seed}-{i:02d}-{rng.getrandbits(48):012x}" for i in range(users)},
    )
    _draw_workspace_grants(population, rng)
    _draw_experiment_grants(population, rng, experiment_grants)
    return population


def _draw_workspace_grants(population: Population, rng: random.Random) -> None:
    weights, levels = zip(*WORKSPACE_LEVELS)
    for user in population.passwords:
        grants = {w: level for w in population.workspaces
                  if (level := rng.choices(levels, weights)[0]) is not None}
        if not any(level != "NO_PERMISSIONS" for level in grants.values()):
            grants[rng.choice(population.workspaces)] = "READ"  # everyone can search somewhere
        population.workspace_grants[user] = grants
    for level in levels:  # every level at least once, even in a small population
        if level is not None and not any(level in g.values() for g in population.workspace_grants.values()):
            user = rng.choice(sorted(population.passwords))
            free = [w for w in population.workspaces if w not in population.workspace_grants[user]]
            population.workspace_grants[user][rng.choice(free or population.workspaces)] = level


def _draw_experiment_grants(population: Population, rng: random.Random, total: int) -> None:
    population.experiment_grants = {user: {} for user in population.passwords}
    for share, workspace_level, level in RECIPES:
        wanted = max(1, round(total * share / 100)) if total else 0
        candidates = [(user, name) for user in sorted(population.passwords)
                      for name, workspace in population.experiments.items()
                      if population.workspace_grants[user].get(workspace) == workspace_level
                      and name not in population.experiment_grants[user]]
        for user, name in rng.sample(candidates, min(wanted, len(candidates))):
            population.experiment_grants[user][name] = level
