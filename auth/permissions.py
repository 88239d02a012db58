"""Permission levels and what each allows (seeds, "Available permission levels").

| level          | read | use | update | delete | manage |
|----------------|------|-----|--------|--------|--------|
| READ           | yes  |     |        |        |        |
| USE            | yes  | yes |        |        |        |
| EDIT           | yes  | yes | yes    |        |        |
| MANAGE         | yes  | yes | yes    | yes    | yes    |
| NO_PERMISSIONS |      |     |        |        |        |
"""

from __future__ import annotations

from enum import Enum

CAPABILITIES = ("read", "use", "update", "delete", "manage")


class Permission(Enum):
    """A level; its value is the set of capabilities it grants."""

    NO_PERMISSIONS = frozenset()
    READ = frozenset({"read"})
    USE = frozenset({"read", "use"})
    EDIT = frozenset({"read", "use", "update"})
    MANAGE = frozenset(CAPABILITIES)

    def allows(self, capability: str) -> bool:
        """Whether this level grants the capability."""
        return capability in self.value

    @classmethod
    def parse(cls, name: object) -> "Permission":
        """The level of that exact (case-sensitive) name; ValueError naming the valid ones."""
        if isinstance(name, str) and name in cls.__members__:
            return cls[name]
        raise ValueError(
            f"Invalid permission '{str(name)[:40]}'. Valid permissions are: {', '.join(cls.__members__)}"
        )
