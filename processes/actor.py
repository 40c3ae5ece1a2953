from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    """Who completes a task: the engine checks lane role and assignee against this, nothing Flask-specific."""
    id: int | None
    role: str | None
    rights: frozenset = field(default_factory=frozenset)

    @classmethod
    def system(cls):
        return cls(id=None, role=None, rights=frozenset({"*"}))

    @property
    def is_system(self):
        return "*" in self.rights
