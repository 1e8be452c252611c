import { cards, expect, heading, logIn, PASSWORD, test, uniqueEmail } from "./support/fixtures";

test("two people in two browsers see only their own projects", async ({ page, api, loggedIn, newPerson }) => {
  const annToken = await api.login(loggedIn.email, loggedIn.password);
  await api.createProject(annToken, "Ann's garden");
  const bobEmail = uniqueEmail("bob");
  await api.register(bobEmail, PASSWORD, "Bob");
  const bobToken = await api.login(bobEmail, PASSWORD);
  await api.createProject(bobToken, "Bob's boat");

  const bob = await newPerson();
  await logIn(bob.page, bobEmail, PASSWORD);
  await page.reload();
  await expect(cards(page)).toHaveText(["Ann's garden"]);
  await expect(cards(bob.page)).toHaveText(["Bob's boat"]);

  // Bob logging out leaves Ann's session alone.
  await bob.page.getByRole("button", { name: "Log out" }).click();
  await expect(heading(bob.page, "Log in")).toBeVisible();
  await page.reload();
  await expect(cards(page)).toHaveText(["Ann's garden"]);
});
