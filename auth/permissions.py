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


class Capability(str, Enum):
    """What a request needs of a level. Rules name these members, so a misspelt capability
    fails at import instead of denying in silence."""

    READ = "read"
    USE = "use"
    UPDATE = "update"
    DELETE = "delete"
    MANAGE = "manage"

    def __str__(self) -> str:
        return self.value


CAPABILITIES = tuple(Capability)
_READ, _USE, _UPDATE = Capability.READ, Capability.USE, Capability.UPDATE


class Permission(Enum):
    """A level; its value is the set of capabilities it grants."""

    NO_PERMISSIONS = frozenset()
    READ = frozenset({_READ})
    USE = frozenset({_READ, _USE})
    EDIT = frozenset({_READ, _USE, _UPDATE})
    MANAGE = frozenset(CAPABILITIES)

    def allows(self, capability: Capability) -> bool:
        """Whether this level grants the capability."""
        return Capability(capability) in self.value

    @classmethod
    def parse(cls, name: object) -> "Permission":
        """The level of that exact (case-sensitive) name; ValueError naming the valid ones."""
        if isinstance(name, str) and name in cls.__members__:
            return cls[name]
        raise ValueError(
            f"Invalid permission '{str(name)[:40]}'. Valid permissions are: {', '.join(cls.__members__)}"
        )
