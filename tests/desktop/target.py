"""A window to paste into: a Tk text field titled "Paste target" that writes what it holds to
the file given as its argument whenever that changes (the test reads the pasted text there)."""

from __future__ import annotations

import contextlib
import os
import sys
import tkinter as tk
from pathlib import Path


def main(out: Path) -> None:
    root = tk.Tk()
    root.title("Paste target")
    root.geometry("520x300+40+40")
    text = tk.Text(root)
    text.pack(fill="both", expand=True)
    text.focus_set()
    last: list[str | None] = [None]

    def poll() -> None:
        value = text.get("1.0", "end-1c")
        if value != last[0]:
            last[0] = value
            temporary = out.with_suffix(".tmp")
            temporary.write_text(value, encoding="utf-8")
            os.replace(temporary, out)
        root.after(30, poll)

    poll()
    with contextlib.suppress(KeyboardInterrupt):
        root.mainloop()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
