import { useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { MIN_QUERY_LENGTH, useSearchPages } from "../api/queries";
import { ErrorAlert, firstLoad, LoadMore } from "../components/feedback";
import { hitPath, HitSummary } from "../components/SearchBox";
import { useDocumentTitle } from "../hooks";

/** Every search result, a page at a time: `/find?q=`. */
export function FindPage() {
  const [params, setParams] = useSearchParams();
  const q = (params.get("q") ?? "").trim();
  const [text, setText] = useState(q);
  const [seen, setSeen] = useState(q);
  // A new search from the header changes the URL: the field follows it.
  if (seen !== q) {
    setSeen(q);
    setText(q);
  }
  useDocumentTitle(q ? `“${q}” · Search` : "Search");
  const results = useSearchPages(q);
  const items = results.data?.pages.flatMap((p) => p.items) ?? [];

  function submit(event: FormEvent) {
    event.preventDefault();
    setParams({ q: text.trim() });
  }

  const tooShort = q.length < MIN_QUERY_LENGTH;
  return (
    <>
      <div className="page-header">
        <div>
          <h1 tabIndex={-1}>Search</h1>
          <p className="muted">Tasks and projects in all your workspaces, best match first.</p>
        </div>
      </div>
      <form className="find-form" role="search" onSubmit={submit}>
        <label htmlFor="find-q" className="visually-hidden">
          Search for
        </label>
        <input id="find-q" type="search" value={text} onChange={(e) => setText(e.target.value)} minLength={MIN_QUERY_LENGTH} />
        <button type="submit" className="btn btn-primary">
          Search
        </button>
      </form>
      {tooShort ? (
        <p className="muted">Type at least {MIN_QUERY_LENGTH} characters.</p>
      ) : (firstLoad(results, "Searching…") ?? (items.length === 0 ? (
        <div className="card empty-state">
          <h2>Nothing matches “{q}”</h2>
          <p className="muted">Try fewer or other words; the last word may be the start of one.</p>
        </div>
      ) : (
        <>
          <ul className="card find-results" aria-label={`Results for ${q}`}>
            {items.map((hit) => (
              <li key={`${hit.type}-${hit.id}`}>
                <Link to={hitPath(hit)} className="find-result">
                  <HitSummary hit={hit} />
                </Link>
              </li>
            ))}
          </ul>
          {results.isFetchNextPageError ? <ErrorAlert error={results.error} /> : null}
          <LoadMore query={results} what="results" />
        </>
      )))}
    </>
  );
}
