"""The authorization table and decision on their own, with no database."""

from __future__ import annotations

import itertools
import uuid

import pytest

from projectconnect.infra.problems import Forbidden, NotFound
from projectconnect.projects.access import (
    REQUIRED_ROLE,
    Action,
    Grant,
    Role,
    decide,
    may_change_role,
)

ROLES = list(Role)
CALLER, WORKSPACE = uuid.uuid4(), uuid.uuid4()


def test_roles_are_ordered_strongest_first() -> None:
    assert [r.rank for r in ROLES] == sorted((r.rank for r in ROLES), reverse=True)
    assert Role.OWNER.at_least(Role.ADMIN)
    assert Role.ADMIN.at_least(Role.ADMIN)
    assert not Role.VIEWER.at_least(Role.MEMBER)


def test_the_table_names_the_weakest_role_for_every_action() -> None:
    assert set(REQUIRED_ROLE) == set(Action)
    assert REQUIRED_ROLE == {
        Action.READ: Role.VIEWER,
        Action.EDIT: Role.MEMBER,
        Action.COMMENT: Role.MEMBER,
        Action.MODERATE_COMMENTS: Role.ADMIN,
        Action.MANAGE_LABELS: Role.MEMBER,
        Action.MANAGE_MEMBERS: Role.ADMIN,
        Action.RENAME_WORKSPACE: Role.ADMIN,
        Action.DELETE_WORKSPACE: Role.OWNER,
        Action.TRANSFER_OWNERSHIP: Role.OWNER,
    }


@pytest.mark.parametrize(("role", "action"), list(itertools.product(ROLES, Action)))
def test_a_member_is_granted_exactly_what_their_role_reaches(role: Role, action: Action) -> None:
    needed = REQUIRED_ROLE[action]
    if role.at_least(needed):
        grant = decide(CALLER, WORKSPACE, str(role), action)
        assert (grant.user_id, grant.workspace_id, grant.role) == (CALLER, WORKSPACE, role)
    else:
        with pytest.raises(Forbidden) as refused:
            decide(CALLER, WORKSPACE, str(role), action)
        assert refused.value.extensions == {"required_role": str(needed)}
        assert str(needed) in refused.value.detail


@pytest.mark.parametrize("action", list(Action))
def test_someone_who_is_not_a_member_finds_nothing(action: Action) -> None:
    with pytest.raises(NotFound):
        decide(CALLER, WORKSPACE, None, action)


@pytest.mark.parametrize(
    ("actor", "current", "new", "allowed"),
    [
        # Owners manage everyone, owners included.
        (Role.OWNER, Role.OWNER, Role.ADMIN, True),
        (Role.OWNER, Role.MEMBER, Role.OWNER, True),
        (Role.OWNER, Role.OWNER, None, True),
        (Role.OWNER, None, Role.OWNER, True),
        # Admins manage admins, members and viewers, never owners, never up to owner.
        (Role.ADMIN, Role.MEMBER, Role.ADMIN, True),
        (Role.ADMIN, Role.ADMIN, Role.VIEWER, True),
        (Role.ADMIN, Role.VIEWER, None, True),
        (Role.ADMIN, None, Role.ADMIN, True),
        (Role.ADMIN, Role.OWNER, Role.ADMIN, False),
        (Role.ADMIN, Role.OWNER, None, False),
        (Role.ADMIN, Role.ADMIN, Role.OWNER, False),
        (Role.ADMIN, None, Role.OWNER, False),
        # Members and viewers manage no one.
        (Role.MEMBER, Role.VIEWER, Role.MEMBER, False),
        (Role.MEMBER, None, Role.VIEWER, False),
        (Role.VIEWER, Role.VIEWER, None, False),
    ],
)
def test_who_may_give_or_take_which_role(
    actor: Role, current: Role | None, new: Role | None, allowed: bool
) -> None:
    assert may_change_role(actor, current, new) is allowed


@pytest.mark.parametrize(
    ("actor", "current", "new"), list(itertools.product(ROLES, [None, *ROLES], [None, *ROLES]))
)
def test_nobody_grants_above_their_own_role(
    actor: Role, current: Role | None, new: Role | None
) -> None:
    if new is not None and new.rank > actor.rank:
        assert not may_change_role(actor, current, new)


AUTHOR, OTHER = uuid.uuid4(), uuid.uuid4()


@pytest.mark.parametrize("role", ROLES)
def test_only_the_author_edits_a_comment_while_they_may_comment(role: Role) -> None:
    author = Grant(AUTHOR, WORKSPACE, role)
    if role.at_least(Role.MEMBER):
        author.require_comment_edit(AUTHOR)
    else:
        with pytest.raises(Forbidden):
            author.require_comment_edit(AUTHOR)
    with pytest.raises(Forbidden):
        Grant(OTHER, WORKSPACE, role).require_comment_edit(AUTHOR)


@pytest.mark.parametrize("role", ROLES)
def test_authors_delete_their_comments_and_admins_anyones(role: Role) -> None:
    own, others = Grant(AUTHOR, WORKSPACE, role), Grant(OTHER, WORKSPACE, role)
    for grant, allowed in ((own, role.at_least(Role.MEMBER)), (others, role.at_least(Role.ADMIN))):
        if allowed:
            grant.require_comment_removal(AUTHOR)
        else:
            with pytest.raises(Forbidden) as refused:
                grant.require_comment_removal(AUTHOR)
            assert refused.value.extensions == {"required_role": "admin"}
