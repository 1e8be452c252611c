import type { Span } from "../api/client";

export interface TextPart {
  text: string;
  marked: boolean;
}

/**
 * The text cut at the spans' edges (UTF-16 code units, as JavaScript strings count):
 * overlapping or out-of-range spans are clipped, so any answer renders as the text itself.
 */
export function highlightParts(text: string, spans: readonly Span[]): TextPart[] {
  const parts: TextPart[] = [];
  let at = 0;
  for (const span of [...spans].sort((a, b) => a.start - b.start)) {
    const start = Math.max(at, Math.min(span.start, text.length));
    const end = Math.max(start, Math.min(span.end, text.length));
    if (end === start) continue;
    if (start > at) parts.push({ text: text.slice(at, start), marked: false });
    parts.push({ text: text.slice(start, end), marked: true });
    at = end;
  }
  if (at < text.length || parts.length === 0) parts.push({ text: text.slice(at), marked: false });
  return parts;
}

/** Plain text with its matches in <mark>: React escapes every part, markup stays text. */
export function Highlighted({ text, spans }: { text: string; spans: readonly Span[] }) {
  return (
    <>
      {highlightParts(text, spans).map((part, i) => (part.marked ? <mark key={i}>{part.text}</mark> : part.text))}
    </>
  );
}
