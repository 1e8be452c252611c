import { useEffect, useRef, useState } from "react";

/**
 * A search box whose value lives elsewhere (the URL): applied as the person pauses typing,
 * and at once on Enter. When the value changes by other means (back, "Clear all"), the box
 * shows it.
 */
export function SearchField({
  value,
  onChange,
  label,
  placeholder,
  className = "filter-text",
}: {
  value: string;
  onChange(q: string): void;
  label: string;
  placeholder: string;
  className?: string;
}) {
  const [draft, setDraft] = useState(value);
  const [seen, setSeen] = useState(value);
  if (seen !== value) {
    setSeen(value);
    setDraft(value);
  }
  const latest = useRef(onChange);
  useEffect(() => {
    latest.current = onChange;
  });
  useEffect(() => {
    if (draft.trim() === value) return;
    const timer = setTimeout(() => latest.current(draft.trim()), 300);
    return () => clearTimeout(timer);
  }, [draft, value]);
  return (
    <input
      type="search"
      className={className}
      placeholder={placeholder}
      aria-label={label}
      value={draft}
      maxLength={200}
      onChange={(event) => setDraft(event.target.value)}
      onKeyDown={(event) => {
        if (event.key === "Enter") onChange(draft.trim());
      }}
    />
  );
}
