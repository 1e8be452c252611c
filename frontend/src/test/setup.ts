import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterEach } from "vitest";

// findBy* and waitFor wait for what a test expects until a deadline: one second (the
// default) is too short on a shared host under load, where a render can take longer.
configure({ asyncUtilTimeout: 5000 });

// jsdom lays nothing out, so it has no scrolling.
Element.prototype.scrollIntoView = () => {};

afterEach(() => {
  cleanup();
  window.localStorage.clear();
});
