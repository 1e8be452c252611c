import { describe, expect, it } from "vitest";
import { DEFAULT_LISTING, listingFromParams, listingQuery, paramsWithListing } from "./projectListing";

describe("project listing in the URL", () => {
  it("reads what the URL says, ignoring what it cannot mean", () => {
    expect(listingFromParams(new URLSearchParams("q=%20tour%20&sort=name&archived=true"))).toEqual({
      q: "tour",
      sort: "name",
      archived: true,
    });
    expect(listingFromParams(new URLSearchParams("sort=size&archived=yes"))).toEqual(DEFAULT_LISTING);
  });

  it("writes only what differs from the defaults, and leaves other params alone", () => {
    const base = new URLSearchParams("tab=x&q=old&sort=name");
    expect(paramsWithListing(base, DEFAULT_LISTING).toString()).toBe("tab=x");
    expect(paramsWithListing(base, { q: " van ", sort: "updated", archived: true }).toString()).toBe(
      "tab=x&q=van&sort=updated&archived=true",
    );
  });

  it("asks the API for the same", () => {
    expect(listingQuery(DEFAULT_LISTING)).toEqual({});
    expect(listingQuery({ q: "van", sort: "name", archived: true })).toEqual({ q: "van", sort: "name", archived: true });
  });
});
