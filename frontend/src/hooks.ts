import { useEffect } from "react";

export function useDocumentTitle(title: string) {
  useEffect(() => {
    document.title = title ? `${title} · Project Connect` : "Project Connect";
  }, [title]);
}
