"""The auth database's data: the one package of the auth layer that runs SQL.

- users (auth.store.users) and grants (auth.store.grants), with AuthStore joining them;
- the change counters every worker watches (auth.store.changes; `bump` is the only code that
  moves them);
- sign-in counts and lockouts (auth.store.sign_ins);
- the audit trail (auth.store.events), whose events the changes above append in their own
  transaction: no change without its record, nor the reverse.

It returns plain values and reads nothing of the request: who acts is passed in (`by=`, an
Actor; none means the operator of an offline command).
"""

from __future__ import annotations

from auth.store.changes import CREATIONS, GRANTS, PLACES, SCOPES, SIGN_INS
from auth.store.events import Actor, AuditEvents, Event
from auth.store.grants import Grant, Grants, grant_kind, missing_grant, missing_workspace_grant
from auth.store.sign_ins import Lockout, SignInCounts
from auth.store.users import UnknownUser, User, Users

__all__ = ["CREATIONS", "GRANTS", "PLACES", "SCOPES", "SIGN_INS", "Actor", "AuditEvents", "AuthStore", "Event",
           "Grant", "Lockout", "SignInCounts", "UnknownUser", "User", "grant_kind", "missing_grant",
           "missing_workspace_grant"]


class AuthStore(Users, Grants):
    """Users, experiment grants, registered-model grants and workspace grants."""
