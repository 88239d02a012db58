"""Moving every workspace's resources into 'default' (`wsauth db migrate-to-default-workspace`),
in one transaction, refusing when two resources would share a name."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update

from tracking.store import inventory
from tracking.store.db import Database


@dataclass(frozen=True)
class MergePlan:
    """What a merge would move: rows per scoped table, children that follow, and conflicts."""

    moves: dict[str, int]
    children: dict[str, int]
    conflicts: list[inventory.Conflict]

    @property
    def total(self) -> int:
        """Rows whose workspace changes."""
        return sum(self.moves.values())


class MergeConflict(Exception):
    """Two resources would share a name in 'default'."""

    def __init__(self, conflicts: list[inventory.Conflict]):
        super().__init__(f"{len(conflicts)} conflicting rows")
        self.conflicts = conflicts


def plan(database: Database) -> MergePlan:
    """What a merge would do now; changes nothing."""
    with database.session() as session:
        return MergePlan(inventory.outside_default(session), inventory.children_outside_default(session),
                         inventory.merge_conflicts(session))


def merge_into_default(database: Database) -> int:
    """Move all rows to 'default' in one transaction; raise MergeConflict and change nothing
    when names would clash."""
    with database.session() as session:
        conflicts = inventory.merge_conflicts(session)
        if conflicts:
            raise MergeConflict(conflicts)
        moved = 0
        for model in inventory.SCOPED_TABLES.values():
            result = session.execute(
                update(model).where(model.workspace != inventory.DEFAULT).values(workspace=inventory.DEFAULT)
            )
            moved += result.rowcount
        return moved
