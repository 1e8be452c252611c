"""The projects service's routes for workspaces, members and invitations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, status

from projectconnect.infra.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from projectconnect.infra.problems import problem_responses
from projectconnect.projects.access import Role
from projectconnect.projects.caller import CallerDep
from projectconnect.projects.mails import invitation_link
from projectconnect.projects.schemas import (
    Inheritance,
    InvitationCreate,
    InvitationCreated,
    InvitationPage,
    InvitationPreview,
    InvitationPublic,
    MemberPage,
    MemberPublic,
    MemberUpdate,
    OwnershipTransfer,
    PersonRef,
    RoleName,
    WorkspaceCreate,
    WorkspaceList,
    WorkspacePublic,
    WorkspaceUpdate,
)
from projectconnect.projects.workspaces import (
    InvitationView,
    MemberView,
    WorkspaceService,
    WorkspaceView,
)

router = APIRouter(
    tags=["workspaces"], responses=problem_responses(401, 403, 404, 409, 422, 500, 503)
)
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
Cursor = Annotated[str | None, Query(max_length=512)]
Token = Annotated[str, Path(max_length=128)]


def workspaces_of(request: Request) -> WorkspaceService:
    service: WorkspaceService = request.app.state.projects_workspaces
    return service


def person_ref(user_id: object, person: object) -> PersonRef:
    return PersonRef(
        user_id=user_id,
        display_name=getattr(person, "display_name", None),
        email=getattr(person, "email", None),
    )


def workspace_public(view: WorkspaceView) -> WorkspacePublic:
    workspace = view.workspace
    inherited = view.inherited_from
    return WorkspacePublic(
        id=workspace.id,
        name=workspace.name,
        created_at=workspace.created_at,
        created_by=workspace.created_by,
        personal=workspace.personal_of is not None,
        my_role=view.role,
        member_count=view.member_count,
        inherited_from=(
            Inheritance(from_name=inherited.from_name, at=inherited.at) if inherited else None
        ),
        deleted_with_account=view.deleted_with_account,
        successor=person_ref(*view.successor) if view.successor else None,
    )


def member_public(view: MemberView) -> MemberPublic:
    membership, person = view.membership, view.person
    return MemberPublic(
        user_id=membership.user_id,
        display_name=person.display_name if person else None,
        email=person.email if person else None,
        role=membership.role,
        joined_at=membership.joined_at,
    )


def invitation_public(view: InvitationView) -> InvitationPublic:
    invitation = view.invitation
    return InvitationPublic(
        id=invitation.id,
        email=invitation.email,
        role=invitation.role,
        invited_by=person_ref(invitation.invited_by, view.inviter),
        created_at=invitation.created_at,
        expires_at=invitation.expires_at,
        status="expired" if view.expired else "pending",
    )


@router.get("/workspaces")
async def list_workspaces(
    request: Request, caller: CallerDep, role: RoleName | None = None
) -> WorkspaceList:
    """The caller's workspaces with their role in each (their personal one first).

    `role=owner` adds what deleting the caller's account would do to each: deleted with
    it, or who would inherit it.
    """
    views = await workspaces_of(request).list_workspaces(
        caller.user_id, Role(role) if role else None
    )
    return WorkspaceList(items=[workspace_public(v) for v in views])


@router.post("/workspaces", status_code=status.HTTP_201_CREATED)
async def create_workspace(
    request: Request, body: WorkspaceCreate, caller: CallerDep
) -> WorkspacePublic:
    return workspace_public(await workspaces_of(request).create(caller.user_id, body.name))


@router.get("/workspaces/{workspace_id}")
async def get_workspace(request: Request, workspace_id: str, caller: CallerDep) -> WorkspacePublic:
    return workspace_public(await workspaces_of(request).get(caller.user_id, workspace_id))


@router.patch("/workspaces/{workspace_id}")
async def rename_workspace(
    request: Request, workspace_id: str, body: WorkspaceUpdate, caller: CallerDep
) -> WorkspacePublic:
    service = workspaces_of(request)
    return workspace_public(await service.rename(caller.user_id, workspace_id, body.name))


@router.delete("/workspaces/{workspace_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_workspace(request: Request, workspace_id: str, caller: CallerDep) -> None:
    await workspaces_of(request).delete(caller.user_id, workspace_id)


@router.get("/workspaces/{workspace_id}/members")
async def list_members(
    request: Request,
    workspace_id: str,
    caller: CallerDep,
    limit: Limit = MAX_PAGE_SIZE,
    cursor: Cursor = None,
) -> MemberPage:
    items, next_cursor = await workspaces_of(request).members(
        caller.user_id, workspace_id, limit, cursor
    )
    return MemberPage(items=[member_public(m) for m in items], next_cursor=next_cursor)


@router.patch("/workspaces/{workspace_id}/members/{user_id}")
async def change_member_role(
    request: Request, workspace_id: str, user_id: str, body: MemberUpdate, caller: CallerDep
) -> MemberPublic:
    service = workspaces_of(request)
    view = await service.change_role(caller.user_id, workspace_id, user_id, Role(body.role))
    return member_public(view)


@router.delete(
    "/workspaces/{workspace_id}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT
)
async def remove_member(
    request: Request, workspace_id: str, user_id: str, caller: CallerDep
) -> None:
    await workspaces_of(request).remove(caller.user_id, workspace_id, user_id)


@router.post("/workspaces/{workspace_id}/leave", status_code=status.HTTP_204_NO_CONTENT)
async def leave_workspace(request: Request, workspace_id: str, caller: CallerDep) -> None:
    await workspaces_of(request).leave(caller.user_id, workspace_id)


@router.post("/workspaces/{workspace_id}/transfer", status_code=status.HTTP_204_NO_CONTENT)
async def transfer_ownership(
    request: Request, workspace_id: str, body: OwnershipTransfer, caller: CallerDep
) -> None:
    """The member named becomes an owner; the caller stays on as an admin."""
    await workspaces_of(request).transfer(caller.user_id, workspace_id, body.user_id)


@router.get("/workspaces/{workspace_id}/invitations")
async def list_invitations(
    request: Request,
    workspace_id: str,
    caller: CallerDep,
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
) -> InvitationPage:
    """Open invitations, newest first (those past their date show as expired)."""
    items, next_cursor = await workspaces_of(request).invitations(
        caller.user_id, workspace_id, limit, cursor
    )
    return InvitationPage(items=[invitation_public(i) for i in items], next_cursor=next_cursor)


@router.post("/workspaces/{workspace_id}/invitations", status_code=status.HTTP_201_CREATED)
async def invite(
    request: Request, workspace_id: str, body: InvitationCreate, caller: CallerDep
) -> InvitationCreated:
    """An invitation for one email address, valid 7 days; the answer holds the link to share
    (its token is shown only here)."""
    public_url = str(request.base_url)
    view = await workspaces_of(request).invite(
        caller.user_id, workspace_id, str(body.email), Role(body.role), public_url=public_url
    )
    assert view.token is not None
    url = invitation_link(public_url, view.token)
    return InvitationCreated(**invitation_public(view).model_dump(), token=view.token, url=url)


@router.delete(
    "/workspaces/{workspace_id}/invitations/{invitation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def revoke_invitation(
    request: Request, workspace_id: str, invitation_id: str, caller: CallerDep
) -> None:
    await workspaces_of(request).revoke(caller.user_id, workspace_id, invitation_id)


@router.get("/invitations/{token}", responses=problem_responses(404, 410))
async def preview_invitation(request: Request, token: Token) -> InvitationPreview:
    """What an invitation offers, for anyone holding its link: no login needed."""
    preview = await workspaces_of(request).preview(token)
    return InvitationPreview(
        workspace_name=preview.workspace_name,
        inviter_name=preview.inviter_name,
        role=preview.role,
    )


@router.post("/invitations/{token}/accept", responses=problem_responses(404, 410))
async def accept_invitation(request: Request, token: Token, caller: CallerDep) -> WorkspacePublic:
    """Join the workspace with the invited role, as the account the invitation was sent to.

    403 with `reason` `email_mismatch` when the caller's email is another, `email_unverified`
    while no link mailed to it has been followed (verify, then refresh the access token).
    """
    view = await workspaces_of(request).accept(
        caller.user_id, caller.email, token, email_verified=caller.email_verified
    )
    return workspace_public(view)
