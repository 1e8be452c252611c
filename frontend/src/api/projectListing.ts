/**
 * How a workspace's project list is narrowed and ordered, kept in the URL's query string
 * (`?q=&sort=&archived=true`) so a search is a link and survives a reload. Defaults leave
 * no trace in the URL.
 */
import { oneOf } from "./taskFilters";

export type ProjectSort = "created" | "updated" | "name";

export const PROJECT_SORTS: readonly ProjectSort[] = ["created", "updated", "name"];
export const PROJECT_SORT_NAMES: Record<ProjectSort, string> = {
  created: "Newest",
  updated: "Recently updated",
  name: "Name",
};

export interface ProjectListing {
  /** Name contains (trimmed; empty: every project). */
  q: string;
  sort: ProjectSort;
  /** Only the archived projects instead of the others. */
  archived: boolean;
}

export const DEFAULT_LISTING: ProjectListing = { q: "", sort: "created", archived: false };

export function listingFromParams(params: URLSearchParams): ProjectListing {
  return {
    q: (params.get("q") ?? "").trim(),
    sort: oneOf(PROJECT_SORTS, params.get("sort")) ?? DEFAULT_LISTING.sort,
    archived: params.get("archived") === "true",
  };
}

export function paramsWithListing(params: URLSearchParams, listing: ProjectListing): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const name of ["q", "sort", "archived"]) next.delete(name);
  if (listing.q.trim()) next.set("q", listing.q.trim());
  if (listing.sort !== DEFAULT_LISTING.sort) next.set("sort", listing.sort);
  if (listing.archived) next.set("archived", "true");
  return next;
}

/** The API's query for a listing (only what differs from its defaults). */
export function listingQuery(listing: ProjectListing) {
  return {
    ...(listing.q ? { q: listing.q } : {}),
    ...(listing.sort !== DEFAULT_LISTING.sort ? { sort: listing.sort } : {}),
    ...(listing.archived ? { archived: true } : {}),
  };
}
