// The board: a column per status, cards in position order, moved by mouse, touch or keyboard.
import { NO_FILTERS, type TaskFilters } from "../../api/taskFilters";
import {
  closestCorners,
  DndContext,
  DragOverlay,
  KeyboardSensor,
  PointerSensor,
  pointerWithin,
  useDroppable,
  useSensor,
  useSensors,
  type Announcements,
  type CollisionDetection,
  type DragEndEvent,
  type DragOverEvent,
  type DragStartEvent,
  type UniqueIdentifier,
} from "@dnd-kit/core";
import { SortableContext, sortableKeyboardCoordinates, useSortable, verticalListSortingStrategy } from "@dnd-kit/sortable";
import { CSS } from "@dnd-kit/utilities";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { Link, useLocation } from "react-router";
import type { Label, Member, Project, Task, TaskStatus } from "../../api/client";
import { describeError, isAbort, isConflict } from "../../api/errors";
import { useAddedTasks, useAllMembers, useBoardFirstPages, useBoardTasks, useLabels, useMoveTask } from "../../api/queries";
import {
  columnOf,
  columnsOf,
  moveWithin,
  placementIn,
  STATUS_NAMES,
  STATUSES,
  type Columns,
} from "../../api/taskOrder";
import { ErrorAlert, FailureAlert, firstLoad, LoadMore, Spinner } from "../feedback";
import { AssigneeAvatars, DueBadge, LabelChips, PriorityBadge } from "./TaskMeta";
import { taskPath } from "../../paths";
import { holdBoard } from "../../live/holds";

interface CardContext {
  projectId: string;
  members: Member[] | undefined;
  labels: Label[] | undefined;
  search: string;
  editable: boolean;
}

function CardBody({ task, ctx, handle }: { task: Task; ctx: CardContext; handle?: React.ReactNode }) {
  return (
    <>
      <div className="board-card-top">
        <Link
          to={taskPath(ctx.projectId, task.id, ctx.search)}
          state={{ fromProject: true }}
          className="board-card-title"
          draggable={false}
        >
          {task.title}
        </Link>
        {handle}
      </div>
      <LabelChips ids={task.labels} labels={ctx.labels} />
      <div className="board-card-meta">
        <PriorityBadge priority={task.priority} />
        <DueBadge task={task} />
        <AssigneeAvatars ids={task.assignees} members={ctx.members} />
      </div>
    </>
  );
}

function BoardCard({ task, ctx }: { task: Task; ctx: CardContext }) {
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, transform, transition, isDragging } = useSortable({
    id: task.id,
    disabled: !ctx.editable,
  });
  return (
    <li
      ref={setNodeRef}
      className={`board-card${isDragging ? " board-card-placeholder" : ""}`}
      style={{ transform: CSS.Translate.toString(transform), transition }}
      data-task-id={task.id}
      // The whole card follows the pointer; only the handle takes the keyboard (its
      // Space/Enter pick the card up, the title link's Enter opens the task).
      {...listeners}
    >
      <CardBody
        task={task}
        ctx={ctx}
        handle={
          ctx.editable ? (
            <button
              ref={setActivatorNodeRef}
              type="button"
              className="drag-handle"
              {...attributes}
              aria-label={`Move ${task.title}`}
            >
              <span aria-hidden="true">⠿</span>
            </button>
          ) : null
        }
      />
    </li>
  );
}

/** Cards a column renders at first, and how many more each time its end comes into view. */
export const CARDS_SHOWN = 100;

/**
 * The cards a column renders: the first `limit` of its order, and past them only the ones
 * that must show (the card being dragged, tasks added during this visit), still in order.
 */
export function shownIds(ids: string[], limit: number, always: (id: string) => boolean): string[] {
  return ids.length <= limit ? ids : ids.filter((id, index) => index < limit || always(id));
}

function BoardColumn({
  status,
  ids,
  byId,
  ctx,
  collapsed,
  onToggle,
  limit,
  always,
  onShowMore,
  arriving,
}: {
  status: TaskStatus;
  ids: string[];
  byId: Map<string, Task>;
  ctx: CardContext;
  collapsed: boolean;
  onToggle?: () => void;
  limit: number;
  always: (id: string) => boolean;
  onShowMore: () => void;
  /** Its first load is still bringing pages: what shows is not all it holds. */
  arriving: boolean;
}) {
  const { setNodeRef, isOver } = useDroppable({ id: status });
  const headingId = `column-${status}`;
  const shown = collapsed ? [] : shownIds(ids, limit, always);
  return (
    <section
      className={`board-column${collapsed ? " board-column-collapsed" : ""}${isOver ? " board-column-over" : ""}`}
      aria-labelledby={headingId}
      data-status={status}
    >
      <header className="board-column-header">
        <h3 id={headingId}>{STATUS_NAMES[status]}</h3>
        <span
          className="board-count"
          aria-label={arriving ? `${ids.length} tasks so far, more loading` : `${ids.length} task${ids.length === 1 ? "" : "s"}`}
        >
          {ids.length}
          {arriving ? "+" : null}
        </span>
        {onToggle ? (
          <button type="button" className="btn btn-ghost btn-small" aria-expanded={!collapsed} onClick={onToggle}>
            {collapsed ? "Show" : "Hide"}
            <span className="visually-hidden"> {STATUS_NAMES[status].toLowerCase()} tasks</span>
          </button>
        ) : null}
      </header>
      <SortableContext items={shown} strategy={verticalListSortingStrategy}>
        <ul ref={setNodeRef} className="board-cards" aria-labelledby={headingId}>
          {shown.map((id) => {
            const task = byId.get(id);
            return task ? <BoardCard key={id} task={task} ctx={ctx} /> : null;
          })}
        </ul>
      </SortableContext>
      {collapsed ? null : arriving ? (
        <Spinner label="Loading more…" />
      ) : (
        // The rest of a long column renders as its end comes into view: thousands of cards
        // at once would hold the first paint for seconds.
        <LoadMore
          // A new observer after each step: it tells at once if the end is still in view.
          key={limit}
          what="tasks"
          label={`Show more ${STATUS_NAMES[status].toLowerCase()} tasks`}
          compact
          query={{
            hasNextPage: ids.length > limit,
            isFetchingNextPage: false,
            isFetchNextPageError: false,
            fetchNextPage: async () => onShowMore(),
          }}
        />
      )}
    </section>
  );
}

const isStatus = (id: UniqueIdentifier): id is TaskStatus => (STATUSES as readonly UniqueIdentifier[]).includes(id);

/**
 * With a pointer: the card under it, else the column under it (so the empty space below
 * the last card means the column's end). With the keyboard (no pointer): the closest
 * corners, which the arrow keys' coordinates are computed for.
 */
const detectCollisions: CollisionDetection = (args) => {
  if (args.pointerCoordinates) {
    const under = pointerWithin(args);
    const cards = under.filter((c) => !isStatus(c.id));
    if (cards.length > 0) return cards;
    if (under.length > 0) return under;
  }
  return closestCorners(args);
};

export function BoardView({
  project,
  editable,
  filters = NO_FILTERS,
}: {
  project: Project;
  editable: boolean;
  filters?: TaskFilters;
}) {
  const tasks = useBoardTasks(project.id, filters);
  // A large board's first load shows each column's first page while the rest comes.
  const firstPages = useBoardFirstPages(project.id, filters).data;
  const arriving = tasks.data === undefined ? (firstPages ?? null) : null;
  const data = tasks.data ?? arriving?.tasks;
  const added = useAddedTasks(project.id).data;
  const members = useAllMembers(project.workspace_id).data;
  const labels = useLabels(project.workspace_id).data;
  const { search } = useLocation();
  // While a card is dragged: the columns as the drag has rearranged them so far.
  const [dragColumns, setDragColumns] = useState<Columns | null>(null);
  const [activeId, setActiveId] = useState<string | null>(null);
  const [showCancelled, setShowCancelled] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const [limits, setLimits] = useState<Partial<Record<TaskStatus, number>>>({});
  const startColumns = useRef<Columns | null>(null);
  // While a card is dragged, live refetches of this board wait (`holds.ts`).
  const release = useRef<(() => void) | null>(null);
  useEffect(() => () => release.current?.(), []);
  const limitOf = (status: TaskStatus) => limits[status] ?? CARDS_SHOWN;
  const addedIds = useMemo(() => new Set(added.map((t) => t.id)), [added]);
  const always = (id: string) => id === activeId || addedIds.has(id);

  const byId = useMemo(() => new Map((data ?? []).map((t) => [t.id, t])), [data]);
  const columns = dragColumns ?? columnsOf(data ?? []);
  // For dnd-kit's callbacks and announcements, which run after the render they follow.
  const columnsRef = useRef(columns);
  useLayoutEffect(() => {
    columnsRef.current = columns;
  });

  const mover = useMoveTask(project.id, filters, (error, move) => {
    if (isAbort(error)) return;
    const title = byId.get(move.taskId)?.title ?? "the task";
    setFailure(
      isConflict(error)
        ? `“${title}” was changed by someone else meanwhile, so it stayed where it was. The board now shows the latest; move it again if you still want to.`
        : `Couldn’t move “${title}”. ${describeError(error)}`,
    );
  });

  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 6 } }),
    useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }),
  );

  // Nothing moves until every column is in: a move is placed among the column's cards.
  const ctx: CardContext = { projectId: project.id, members, labels, search, editable: editable && !arriving };

  /** "in To do, position 2 of 5": where a card is, for announcements. */
  function where(id: UniqueIdentifier): string {
    const cols = columnsRef.current;
    const status = columnOf(cols, String(id));
    if (!status) return "";
    const col = cols[status];
    return `in ${STATUS_NAMES[status]}, position ${col.indexOf(String(id)) + 1} of ${col.length}`;
  }
  const titleOf = (id: UniqueIdentifier) => byId.get(String(id))?.title ?? "the task";

  /** Where the card would land over `overId` (a card or a column), as the sortable preview shows it. */
  function landing(activeId: UniqueIdentifier, overId: UniqueIdentifier): string {
    const cols = columnsRef.current;
    const id = String(activeId);
    const status = isStatus(overId) ? overId : columnOf(cols, String(overId));
    if (!status) return "";
    const col = cols[status];
    const total = col.length + (col.includes(id) ? 0 : 1);
    const end = Math.min(col.length, limitOf(status)) + 1;
    const position = isStatus(overId) ? (col.includes(id) ? col.indexOf(id) + 1 : end) : col.indexOf(String(overId)) + 1;
    return `in ${STATUS_NAMES[status]}, position ${position} of ${total}`;
  }

  const announcements: Announcements = {
    onDragStart: ({ active }) => `Picked up ${titleOf(active.id)}, ${where(active.id)}.`,
    // Over itself (where it started): nothing new to say; "Picked up" stays heard.
    onDragOver: ({ active, over }) =>
      !over
        ? `${titleOf(active.id)} is no longer over a column.`
        : over.id === active.id
          ? undefined
          : `${titleOf(active.id)} would go ${landing(active.id, over.id)}.`,
    onDragEnd: ({ active, over }) =>
      over ? `Dropped ${titleOf(active.id)} ${where(active.id)}.` : `${titleOf(active.id)} was dropped where it was.`,
    onDragCancel: ({ active }) => `Moving ${titleOf(active.id)} was cancelled. It is back ${where(active.id)}.`,
  };

  function onDragStart({ active }: DragStartEvent) {
    release.current?.();
    release.current = holdBoard(project.id);
    setFailure(null);
    const start = columnsOf(data ?? []);
    startColumns.current = start;
    setDragColumns(start);
    setActiveId(String(active.id));
  }

  /** Across columns while dragging, so the card makes room where it would land. */
  function onDragOver({ active, over }: DragOverEvent) {
    if (!over) return;
    setDragColumns((cols) => {
      if (!cols) return cols;
      const id = String(active.id);
      const from = columnOf(cols, id);
      const to = isStatus(over.id) ? over.id : columnOf(cols, String(over.id));
      if (!from || !to || from === to) return cols;
      // Over the column itself: after its last rendered card.
      const end = Math.min(cols[to].length, limitOf(to));
      let index = isStatus(over.id) ? end : cols[to].indexOf(String(over.id));
      if (index < 0) index = end;
      // Over the lower half of a card: after it.
      const dragged = active.rect.current.translated;
      if (!isStatus(over.id) && dragged && dragged.top + dragged.height / 2 > over.rect.top + over.rect.height / 2) index += 1;
      const next = moveWithin(cols, id, to, index);
      columnsRef.current = next;
      return next;
    });
  }

  function finish() {
    setDragColumns(null);
    setActiveId(null);
    startColumns.current = null;
    release.current?.();
    release.current = null;
  }

  function onDragEnd({ active, over }: DragEndEvent) {
    const id = String(active.id);
    const cols = columnsRef.current;
    const start = startColumns.current;
    const status = columnOf(cols, id);
    if (!over || !status || !start) return finish();
    let final = cols;
    if (!isStatus(over.id) && over.id !== active.id && cols[status].includes(String(over.id))) {
      final = moveWithin(cols, id, status, cols[status].indexOf(String(over.id)));
    }
    const from = columnOf(start, id);
    const unchanged = from === status && start[status].indexOf(id) === final[status].indexOf(id);
    // The drop's announcement (which follows this handler) tells the final place.
    columnsRef.current = final;
    if (!unchanged) mover.move({ taskId: id, ...placementIn(final[status], id, status) }, final);
    finish();
  }

  function onDragCancel() {
    // Its announcement says where the card is back to.
    if (startColumns.current) columnsRef.current = startColumns.current;
    finish();
  }

  // Until a first page is in, or when the first load failed (first pages or not).
  if (tasks.isLoadingError || !data) return firstLoad(tasks, "Loading the board…");

  const active = activeId ? byId.get(activeId) : undefined;
  return (
    <>
      {failure ? (
        <FailureAlert message={failure} onDismiss={() => setFailure(null)} />
      ) : null}
      {tasks.isRefetchError ? <ErrorAlert error={tasks.error} /> : null}
      <DndContext
        sensors={sensors}
        collisionDetection={detectCollisions}
        onDragStart={onDragStart}
        onDragOver={onDragOver}
        onDragEnd={onDragEnd}
        onDragCancel={onDragCancel}
        accessibility={{
          announcements,
          screenReaderInstructions: {
            draggable:
              "To move this task, press Space or Enter. Move it with the arrow keys: up and down within its column, left and right to another column. Press Space or Enter to drop it there, or Escape to cancel.",
          },
        }}
      >
        <div className="board" role="group" aria-label="Board">
          {STATUSES.map((status) => (
            <BoardColumn
              key={status}
              status={status}
              ids={columns[status]}
              byId={byId}
              ctx={ctx}
              // Collapsed, it still takes drops (at its end); it never opens mid-drag, which
              // would move the columns under the card.
              collapsed={status === "cancelled" && !showCancelled}
              {...(status === "cancelled" ? { onToggle: () => setShowCancelled((s) => !s) } : {})}
              limit={limitOf(status)}
              always={always}
              arriving={arriving !== null && !arriving.complete.includes(status)}
              onShowMore={() => setLimits((l) => ({ ...l, [status]: (l[status] ?? CARDS_SHOWN) + CARDS_SHOWN }))}
            />
          ))}
        </div>
        <DragOverlay>
          {active ? (
            <div className="board-card board-card-overlay">
              <CardBody task={active} ctx={ctx} />
            </div>
          ) : null}
        </DragOverlay>
      </DndContext>
    </>
  );
}
