// Ctrl/Cmd-K from anywhere: a dialog with the search box; Enter opens the highlighted prompt.
import { useEffect, useRef, useState } from "react";
import { navigate, promptPath, withQuery } from "../router";
import { PromptSearch } from "./PromptSearch";

// `asked` counts the asks to open it: one that comes while `open` is still true (the dialog
// closed, its close event not delivered yet: a task later) opens it again.
export function SearchPalette({ open, asked = 0, onClose }: { open: boolean; asked?: number; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [query, setQuery] = useState("");

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) {
      setQuery("");
      element.showModal();
    } else if (!open && element.open) element.close();
  }, [open, asked]);

  return (
    <dialog
      ref={dialog}
      className="palette"
      aria-label="Find a prompt"
      // A close event that arrives once it is open again is the old one's.
      onClose={() => {
        if (!dialog.current?.open) onClose();
      }}
    >
      {open && (
        <PromptSearch
          filters={{}}
          query={query}
          onQuery={setQuery}
          autoFocus
          label="Find a prompt"
          onPick={(hit) => {
            onClose();
            navigate(promptPath(hit.id));
          }}
          onTag={(tag) => {
            onClose();
            navigate(withQuery("/", { tag }));
          }}
        />
      )}
      <p className="hint">↑ ↓ to move, Enter to open, Esc to close</p>
    </dialog>
  );
}
