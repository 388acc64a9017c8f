"""The ``promptctl`` command line: a thin typer layer over the core.

Command modules import the core inside their functions, so that ``promptctl --help`` starts
without loading Jinja2, jsonschema or pygit2.
"""
