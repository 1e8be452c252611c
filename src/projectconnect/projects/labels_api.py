"""The projects service's routes for a workspace's labels."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from projectconnect.infra.problems import problem_responses
from projectconnect.projects.caller import CallerDep
from projectconnect.projects.labels import LabelService
from projectconnect.projects.models import Label
from projectconnect.projects.schemas import LabelCreate, LabelList, LabelPublic, LabelUpdate

router = APIRouter(tags=["labels"], responses=problem_responses(401, 403, 404, 409, 422, 500, 503))


def labels_of(request: Request) -> LabelService:
    service: LabelService = request.app.state.projects_labels
    return service


def label_public(label: Label) -> LabelPublic:
    return LabelPublic.model_validate(label, from_attributes=True)


@router.get("/workspaces/{workspace_id}/labels")
async def list_labels(request: Request, workspace_id: str, caller: CallerDep) -> LabelList:
    """Every label of the workspace, by name."""
    labels = await labels_of(request).list(caller.user_id, workspace_id)
    return LabelList(items=[label_public(label) for label in labels])


@router.post("/workspaces/{workspace_id}/labels", status_code=status.HTTP_201_CREATED)
async def create_label(
    request: Request, workspace_id: str, body: LabelCreate, caller: CallerDep
) -> LabelPublic:
    return label_public(await labels_of(request).create(caller.user_id, workspace_id, body))


@router.patch("/workspaces/{workspace_id}/labels/{label_id}")
async def update_label(
    request: Request, workspace_id: str, label_id: str, body: LabelUpdate, caller: CallerDep
) -> LabelPublic:
    service = labels_of(request)
    return label_public(await service.update(caller.user_id, workspace_id, label_id, body))


@router.delete(
    "/workspaces/{workspace_id}/labels/{label_id}", status_code=status.HTTP_204_NO_CONTENT
)
async def delete_label(
    request: Request, workspace_id: str, label_id: str, caller: CallerDep
) -> None:
    await labels_of(request).delete(caller.user_id, workspace_id, label_id)
