import type { ComponentProps } from "react";
import ReactMarkdown, { type Components } from "react-markdown";

/**
 * A link from someone's Markdown: opens in a new tab that gets no handle on this one
 * (noopener) and learns nothing about where it came from (noreferrer).
 */
function ExternalLink({ node: _node, ...props }: ComponentProps<"a"> & { node?: unknown }) {
  return <a {...props} target="_blank" rel="noopener noreferrer" />;
}

const components: Components = { a: ExternalLink };

/**
 * Markdown written by people, rendered safely: raw HTML in it is shown as text, never
 * parsed (react-markdown without rehype-raw), and link targets other than http(s),
 * mailto and relative ones are dropped (its default URL transform).
 */
export function Markdown({ children, className = "markdown" }: { children: string; className?: string }) {
  return (
    <div className={className}>
      <ReactMarkdown components={components}>{children}</ReactMarkdown>
    </div>
  );
}
