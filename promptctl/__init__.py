"""Prompt Engine core: load, validate, render and govern prompts kept as files in Git.

The command line (``promptctl.cli``) and the read API (``server``) are thin adapters over this
package; nothing here imports typer or FastAPI.
"""

from __future__ import annotations

__version__ = "0.1.0"
