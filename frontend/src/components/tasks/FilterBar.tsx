// The project page's task filters: who, which labels, how urgent, overdue, title text and
// (in the list) status and sort. Their state is the URL's; this only shows and edits it.
import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import type { Label, Member } from "../../api/client";
import { SearchField } from "../SearchField";
import {
  filterCount,
  NO_FILTERS,
  SORT_NAMES,
  SORTS,
  type SortOrder,
  type TaskFilters,
  type TaskSort,
} from "../../api/taskFilters";
import { PRIORITIES, PRIORITY_NAMES, STATUS_NAMES, STATUSES } from "../../api/taskOrder";
import { memberName } from "./TaskMeta";

interface Option {
  value: string;
  label: string;
}

/**
 * A value shown from the click on: the URL (the real state) changes in a transition, and a
 * controlled checkbox would flick back until it lands. Follows the URL whenever it moves.
 */
function useShown<T extends boolean | readonly string[]>(value: T): [T, (next: T) => void] {
  const [shown, setShown] = useState(value);
  // Compared by content: the page parses new arrays from the URL on every render.
  const [seen, setSeen] = useState(String(value));
  if (seen !== String(value)) {
    setSeen(String(value));
    setShown(value);
  }
  return [shown, setShown];
}

function toggled(values: readonly string[], value: string): string[] {
  return values.includes(value) ? values.filter((v) => v !== value) : [...values, value];
}

/** A button opening a list of checkboxes (any of them matches). Closes on Escape or leaving it. */
function MultiSelect({
  label,
  options,
  selected,
  onChange,
}: {
  label: string;
  options: readonly Option[];
  selected: readonly string[];
  onChange(values: string[]): void;
}) {
  const [open, setOpen] = useState(false);
  const [shown, setShown] = useShown(selected);
  const ref = useRef<HTMLDivElement>(null);
  const listId = useId();
  const chosen = options.filter((o) => shown.includes(o.value));
  const summary = chosen.length === 0 ? "Any" : chosen.length === 1 ? chosen[0]!.label : `${chosen.length} selected`;
  useEffect(() => {
    if (!open) return;
    const away = (event: PointerEvent) => {
      if (!ref.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener("pointerdown", away);
    return () => document.removeEventListener("pointerdown", away);
  }, [open]);
  return (
    <div
      ref={ref}
      className="filter-menu"
      onKeyDown={(event) => {
        if (event.key === "Escape" && open) {
          event.stopPropagation();
          setOpen(false);
          ref.current?.querySelector("button")?.focus();
        }
      }}
      onBlur={(event) => {
        if (!ref.current?.contains(event.relatedTarget as Node | null)) setOpen(false);
      }}
    >
      <button
        type="button"
        className={chosen.length ? "filter-button filter-button-active" : "filter-button"}
        aria-expanded={open}
        aria-controls={listId}
        onClick={() => setOpen((o) => !o)}
      >
        <span className="filter-button-name">{label}:</span> {summary}
        <span aria-hidden="true"> ▾</span>
      </button>
      <fieldset id={listId} className="filter-options" hidden={!open}>
        <legend className="visually-hidden">{label}</legend>
        {options.length === 0 ? <p className="muted small">None yet.</p> : null}
        {options.map((o) => (
          <label key={o.value} className="filter-option">
            <input
              type="checkbox"
              checked={shown.includes(o.value)}
              onChange={() => {
                const next = toggled(shown, o.value);
                setShown(next);
                onChange(next);
              }}
            />
            {o.label}
          </label>
        ))}
      </fieldset>
    </div>
  );
}

function Field({ children }: { children: ReactNode }) {
  return <div className="filter-field">{children}</div>;
}

export function FilterBar({
  filters,
  view,
  members,
  labels,
  meId,
  onChange,
}: {
  filters: TaskFilters;
  view: "list" | "board";
  members: readonly Member[] | undefined;
  /** The viewer, offered as "Me" (a link that means whoever opens it) rather than by name. */
  meId: string | undefined;
  labels: readonly Label[] | undefined;
  onChange(filters: TaskFilters): void;
}) {
  const [expanded, setExpanded] = useState(false);
  const [overdue, setOverdue] = useShown(filters.overdue);
  const bodyId = useId();
  const count = filterCount(filters, view);
  const sorted = view === "list" && filters.sort !== null;
  const set = (changes: Partial<TaskFilters>) => onChange({ ...filters, ...changes });
  const assignees: Option[] = [
    { value: "me", label: "Me" },
    { value: "none", label: "Nobody" },
    ...(members ?? []).filter((m) => m.user_id !== meId).map((m) => ({ value: m.user_id, label: memberName(m) })),
  ];
  return (
    <div className="filter-bar" role="search" aria-label="Filter tasks">
      <button
        type="button"
        className="btn btn-secondary btn-small filter-disclosure"
        aria-expanded={expanded}
        aria-controls={bodyId}
        onClick={() => setExpanded((e) => !e)}
      >
        Filters{count ? ` (${count})` : ""}
        <span aria-hidden="true">{expanded ? " ▴" : " ▾"}</span>
      </button>
      <div id={bodyId} className="filter-bar-body" data-expanded={expanded}>
        <Field>
          <SearchField value={filters.q} onChange={(q) => set({ q })} label="Title contains" placeholder="Filter by title" />
        </Field>
        {view === "list" ? (
          <MultiSelect
            label="Status"
            options={STATUSES.map((s) => ({ value: s, label: STATUS_NAMES[s] }))}
            selected={filters.status}
            onChange={(values) => set({ status: STATUSES.filter((s) => values.includes(s)) })}
          />
        ) : null}
        <MultiSelect label="Assignee" options={assignees} selected={filters.assignee} onChange={(assignee) => set({ assignee })} />
        <MultiSelect
          label="Label"
          options={(labels ?? []).map((l) => ({ value: l.id, label: l.name }))}
          selected={filters.label}
          onChange={(label) => set({ label })}
        />
        <MultiSelect
          label="Priority"
          options={[...PRIORITIES].reverse().map((p) => ({ value: p, label: PRIORITY_NAMES[p] }))}
          selected={filters.priority}
          onChange={(values) => set({ priority: PRIORITIES.filter((p) => values.includes(p)) })}
        />
        <label className={overdue ? "filter-toggle filter-button-active" : "filter-toggle"}>
          <input
            type="checkbox"
            checked={overdue}
            onChange={(event) => {
              setOverdue(event.target.checked);
              set({ overdue: event.target.checked });
            }}
          />
          Overdue
        </label>
        {view === "list" ? (
          <Field>
            <label className="filter-sort">
              <span>Sort</span>
              <select
                value={filters.sort ?? ""}
                onChange={(event) => set({ sort: (event.target.value || null) as TaskSort | null, order: null })}
              >
                <option value="">Oldest first</option>
                {SORTS.filter((s) => s !== "created").map((s) => (
                  <option key={s} value={s}>
                    {SORT_NAMES[s]}
                  </option>
                ))}
              </select>
            </label>
            {sorted ? (
              <select
                aria-label="Order"
                value={filters.order ?? ""}
                onChange={(event) => set({ order: (event.target.value || null) as SortOrder | null })}
              >
                <option value="">Default order</option>
                <option value="asc">Ascending</option>
                <option value="desc">Descending</option>
              </select>
            ) : null}
          </Field>
        ) : null}
        {count > 0 || sorted ? (
          <button type="button" className="btn btn-ghost btn-small filter-clear" onClick={() => onChange(NO_FILTERS)}>
            Clear all
          </button>
        ) : null}
      </div>
    </div>
  );
}
