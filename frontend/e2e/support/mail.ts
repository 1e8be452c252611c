// The mail the server sent, read where the embedded mailer writes it: one .eml file per
// message under `<data dir>/mail/` (E2E_DATA_DIR is the global setup's server).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import PostalMime from "postal-mime";
import { expect } from "@playwright/test";

export interface Mail {
  to: string[];
  subject: string;
  text: string;
  html: string | null;
  /** When the file was written (ms), to tell a newer mail from an older one. */
  written: number;
}

function mailDir(): string {
  const dataDir = process.env.E2E_DATA_DIR;
  if (!dataDir) throw new Error("E2E_DATA_DIR is not set: the global setup starts the server");
  return join(dataDir, "mail");
}

/** Every message sent to `address` so far, oldest first. */
export async function mailsTo(address: string): Promise<Mail[]> {
  let names: string[];
  try {
    names = readdirSync(mailDir()).filter((name) => name.endsWith(".eml"));
  } catch {
    return [];
  }
  const wanted = address.toLowerCase();
  const mails: Mail[] = [];
  for (const name of names) {
    const file = join(mailDir(), name);
    const parsed = await PostalMime.parse(readFileSync(file));
    const to = (parsed.to ?? []).map((a) => (a.address ?? "").toLowerCase());
    if (!to.includes(wanted)) continue;
    mails.push({
      to,
      subject: parsed.subject ?? "",
      text: parsed.text ?? "",
      html: parsed.html ?? null,
      written: statSync(file).mtimeMs,
    });
  }
  return mails.sort((a, b) => a.written - b.written);
}

/**
 * Waits (with the shared deadline of `expect.poll`) for the newest mail to `address`
 * whose subject matches, and returns it.
 */
export async function mailTo(address: string, subject: RegExp, { timeout = 15_000 } = {}): Promise<Mail> {
  let found: Mail | undefined;
  await expect
    .poll(
      async () => {
        found = (await mailsTo(address)).filter((m) => subject.test(m.subject)).at(-1);
        return found !== undefined;
      },
      { message: `a mail to ${address} with a subject matching ${subject}`, timeout },
    )
    .toBe(true);
  return found as Mail;
}

/** The path and query of the first link in the mail's text that leads to `path`. */
export function linkIn(mail: Mail, path: string): string {
  for (const match of mail.text.matchAll(/https?:\/\/\S+/g)) {
    const url = new URL(match[0]);
    if (url.pathname === path) return `${url.pathname}${url.search}`;
  }
  throw new Error(`no link to ${path} in the mail "${mail.subject}":\n${mail.text}`);
}
