"""Prompts as dependencies of a consuming repository: references, a lock file, materialized files.

- ``references``: ``prompt-engine.yaml``, the prompts a repository uses (id or alias with a
  version range, or a tag), where they come from (a read API or a Git repository) and the
  targets to write them to;
- ``lock``: ``prompt-engine.lock``, what ``sync`` resolved them to (id, version, commit, digest);
- ``packages``: one prompt at one version with what renders it (partials, limits), and the
  content-addressed cache that lets ``sync`` work offline from the lock;
- ``resolvers``: the read API and a Git repository (remote URL or path), the same answers;
- ``materialize``: the files of each target, byte for byte a function of the lock;
- ``sync``: the ``sync``, ``sync --check``, ``outdated`` and ``update`` operations.

See docs/consumers.md.
"""
