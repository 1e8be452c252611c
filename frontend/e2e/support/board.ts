// The board's columns and dnd-kit's keyboard moves, as the board and task-panel specs use them.
import type { Page } from "@playwright/test";
import { expect } from "./fixtures";

export const column = (page: Page, status: string) => page.locator(`.board-column[data-status="${status}"]`);
export const cardTitles = (page: Page, status: string) => column(page, status).locator(".board-card-title");
/** dnd-kit's live region, where the moves are announced to screen readers. */
export const announced = (page: Page, text: string | RegExp) => page.getByRole("status").filter({ hasText: text });

const startingWith = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`);

/**
 * Moves a card by keyboard from its handle: Space picks it up, `key` moves it, `finish` drops
 * it (Space) or cancels (Escape). Each step waits for its announcement, by default one that
 * starts with "Picked up <title>" and "<title> would go in".
 */
export async function moveByKeyboard(
  page: Page,
  title: string,
  key: string,
  expected: { pickedUp?: string | RegExp; wouldGo?: string | RegExp } = {},
  finish: "Space" | "Escape" = "Space",
): Promise<void> {
  await page.getByRole("button", { name: `Move ${title}` }).focus();
  // The sensor listens for the arrow keys from the next tick on: wait for the pick-up to be announced.
  await page.keyboard.press("Space");
  await expect(announced(page, expected.pickedUp ?? startingWith(`Picked up ${title}`))).toHaveCount(1);
  await page.keyboard.press(key);
  await expect(announced(page, expected.wouldGo ?? startingWith(`${title} would go in`))).toHaveCount(1);
  await page.keyboard.press(finish);
}
