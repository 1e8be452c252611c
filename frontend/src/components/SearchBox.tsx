import { useEffect, useId, useState, type KeyboardEvent, type Ref } from "react";
import { useNavigate } from "react-router";
import type { SearchHit } from "../api/client";
import { describeError } from "../api/errors";
import { MIN_QUERY_LENGTH, useQuickSearch } from "../api/queries";
import { STATUS_NAMES } from "../api/taskOrder";
import { Highlighted } from "./Highlighted";
import { projectPath, taskPath } from "../paths";

/** Where a result opens: a project's page, or its task's panel. */
export function hitPath(hit: Pick<SearchHit, "type" | "id" | "project_id">): string {
  return hit.type === "project" ? projectPath(hit.id) : taskPath(hit.project_id, hit.id);
}

export function findPath(q: string): string {
  return `/find?q=${encodeURIComponent(q)}`;
}

/** `value`, once it has stopped changing for `ms`. */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/** One result's text: its title and, for a task, its project and the matching description. */
export function HitSummary({ hit }: { hit: SearchHit }) {
  return (
    <>
      <span className="hit-line">
        <span className={`hit-kind hit-kind-${hit.type}`}>{hit.type === "project" ? "Project" : "Task"}</span>
        <span className="hit-title">
          <Highlighted text={hit.title} spans={hit.title_highlights} />
        </span>
      </span>
      <span className="hit-context muted small">
        {hit.type === "task" ? (
          <>
            {hit.project_name}
            {hit.status ? ` · ${STATUS_NAMES[hit.status]}` : ""}
          </>
        ) : null}
        {hit.snippet ? (
          <span className="hit-snippet">
            {hit.type === "task" ? " — " : ""}
            <Highlighted text={hit.snippet} spans={hit.snippet_highlights} />
          </span>
        ) : null}
      </span>
    </>
  );
}

/**
 * The header's search: results as one types (a combobox: arrow keys move, Enter opens,
 * Escape closes), and "See all results" for the results page.
 */
export function SearchBox({ inputRef }: { inputRef?: Ref<HTMLInputElement> }) {
  const navigate = useNavigate();
  const [text, setText] = useState("");
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const q = useDebounced(text.trim(), 200);
  const search = useQuickSearch(q);
  const listId = useId();
  const hits = q.length >= MIN_QUERY_LENGTH ? (search.data?.items ?? []) : [];
  const typedEnough = text.trim().length >= MIN_QUERY_LENGTH;
  const showList = open && typedEnough;
  // The results, then "See all results".
  const count = hits.length + 1;

  // The next search starts afresh (the results page has its own field).
  function go(path: string) {
    setText("");
    setOpen(false);
    setActive(-1);
    void navigate(path);
  }

  function choose(index: number) {
    const hit = hits[index];
    if (hit) go(hitPath(hit));
    else if (typedEnough) go(findPath(text.trim()));
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!typedEnough) return;
      event.preventDefault();
      setOpen(true);
      const step = event.key === "ArrowDown" ? 1 : -1;
      setActive((i) => (i < 0 && step < 0 ? count - 1 : (i + step + count) % count));
    } else if (event.key === "Enter") {
      event.preventDefault();
      choose(showList && active >= 0 ? active : hits.length);
    } else if (event.key === "Escape") {
      if (showList) {
        event.preventDefault();
        setOpen(false);
        setActive(-1);
      } else {
        event.currentTarget.blur();
      }
    }
  }

  const optionId = (i: number) => `${listId}-${i}`;
  let status = "";
  if (showList) {
    if (search.isError) status = describeError(search.error);
    else if (q !== text.trim() || search.isFetching) status = "Searching…";
    else if (hits.length === 0) status = "No matches.";
  }

  return (
    <div className="search-box" role="search">
      <label htmlFor={`${listId}-input`} className="visually-hidden">
        Search tasks and projects
      </label>
      <input
        ref={inputRef}
        id={`${listId}-input`}
        type="search"
        className="search-input"
        placeholder="Search  /"
        autoComplete="off"
        spellCheck={false}
        role="combobox"
        aria-expanded={showList}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={showList && active >= 0 ? optionId(active) : undefined}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          setOpen(true);
          setActive(-1);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setOpen(false)}
        onKeyDown={onKeyDown}
      />
      <div className="search-results" hidden={!showList}>
        <ul id={listId} role="listbox" aria-label="Search results">
          {hits.map((hit, i) => (
            <li
              key={`${hit.type}-${hit.id}`}
              id={optionId(i)}
              role="option"
              aria-selected={active === i}
              className={`search-option${active === i ? " active" : ""}`}
              // Keeps focus in the input, so the click lands before the list closes on blur.
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => choose(i)}
              onMouseMove={() => setActive(i)}
            >
              <HitSummary hit={hit} />
            </li>
          ))}
          <li
            id={optionId(hits.length)}
            role="option"
            aria-selected={active === hits.length}
            className={`search-option search-all${active === hits.length ? " active" : ""}`}
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => choose(hits.length)}
            onMouseMove={() => setActive(hits.length)}
          >
            See all results for “{text.trim()}”
          </li>
        </ul>
        <p className="search-status muted small" role="status">
          {status}
        </p>
      </div>
    </div>
  );
}
