"""Approvals: which owners must approve a pull request's prompt changes, and whether they have.

Inputs are what GitHub's REST API returns, saved by the workflow with ``gh api``:
- reviews: the array of "list reviews for a pull request" (``user.login``, ``state``,
  ``submitted_at``). ``gh api --paginate`` writes one array per page back to back, and
  ``--slurp`` an array of pages; all three forms are read.
- teams: a mapping of team slug (``org/team`` or ``team``) to its members, each a login or a
  user object of "list team members", so that ``@org/team`` owners resolve to people.

Rules (DESIGN.md "Approvals"): a reviewer's latest APPROVED, CHANGES_REQUESTED or DISMISSED review
is their state (COMMENTED changes nothing, PENDING is not submitted); every changed prompt needs
the approvals of its scope (``promptctl.yaml`` ``approvals.team`` / ``approvals.global``) from
distinct owners; an owner's outstanding CHANGES_REQUESTED blocks; the author never counts.
Logins compare case-insensitively, as GitHub's do.

What a pull request changes cannot lower what it needs: the numbers come from the base's
``promptctl.yaml``, a prompt that exists on base is approved by its owners on base (as GitHub
reads CODEOWNERS from the base branch), and a scope change counts the stricter scope.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from promptctl.errors import UsageError
from promptctl.lifecycle import CheckResult
from promptctl.model import Prompt

REVIEWS_HINT = ("the JSON array that GitHub's 'list reviews for a pull request' API returns "
                "(gh api --paginate repos/OWNER/REPO/pulls/NUMBER/reviews > reviews.json)")
TEAMS_HINT = ('a JSON object of team slug to member logins, e.g. {"acme/docs": ["ada", "bob"]}')
_COUNTED = {"APPROVED", "CHANGES_REQUESTED", "DISMISSED"}


@dataclass(frozen=True)
class Review:
    login: str
    state: str
    submitted_at: datetime | None
    index: int  # position in the file: the API lists reviews in chronological order


def read_json(path: Path, what: str, hint: str) -> list[Any]:
    """Every JSON document in the file (``gh api --paginate`` writes one per page)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{what} {path}: cannot read it ({exc}); pass {hint}") from None
    decoder = json.JSONDecoder()
    documents: list[Any] = []
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position == len(text):
            break
        try:
            document, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{what} {path}:{exc.lineno}:{exc.colno}: not JSON ({exc.msg}); "
                             f"pass {hint}") from None
        documents.append(document)
    if not documents:
        raise UsageError(f"{what} {path} is empty; pass {hint}")
    return documents


def parse_reviews(documents: list[Any], source: str,
                  skipped: list[str] | None = None) -> list[Review]:
    """The reviews of the file; a review without a user (a deleted account) counts for nobody
    and is named in ``skipped``."""
    items: list[Any] = []
    for document in documents:
        if not isinstance(document, list):
            raise UsageError(f"--reviews {source}: expected {REVIEWS_HINT}, got a JSON "
                             f"{type(document).__name__}")
        for item in document:  # --slurp: an array of pages, each an array
            items.extend(item if isinstance(item, list) else [item])
    reviews = []
    for index, item in enumerate(items):
        where = f"--reviews {source}: review {index}"
        if not isinstance(item, dict) or not isinstance(item.get("state"), str):
            raise UsageError(f"{where} has no 'state'; pass {REVIEWS_HINT}")
        user = item.get("user")
        if user is None:  # a deleted account: GitHub shows it as ghost
            if skipped is not None:
                review_id = item.get("id")
                named = f"review {review_id}" if review_id is not None else f"review {index}"
                skipped.append(f"--reviews {source}: {named} ({item['state'].upper()}) has no "
                               "user (a deleted account, shown as ghost on GitHub); it counts "
                               "for nobody")
            continue
        if not isinstance(user, dict) or not isinstance(user.get("login"), str):
            raise UsageError(f"{where}: 'user' has no 'login'; pass {REVIEWS_HINT}")
        state = item["state"].upper()
        if state == "PENDING":  # not submitted: it counts for nobody
            continue
        when = item.get("submitted_at")
        submitted = None
        if when is not None:
            try:
                submitted = datetime.fromisoformat(str(when).replace("Z", "+00:00"))
            except ValueError:
                raise UsageError(f"{where}: submitted_at {when!r} is not an ISO 8601 time; "
                                 f"pass {REVIEWS_HINT}") from None
        reviews.append(Review(user["login"], state, submitted, index))
    return reviews


def load_reviews(path: Path, skipped: list[str] | None = None) -> list[Review]:
    return parse_reviews(read_json(path, "--reviews", REVIEWS_HINT), str(path), skipped)


def latest_states(reviews: list[Review]) -> dict[str, Review]:
    """Login (lower case) -> the review that sets their state: APPROVED or CHANGES_REQUESTED.

    Sorted by submitted_at (ties and missing times keep the API's chronological order); a later
    DISMISSED review clears the state, a COMMENTED one leaves it as it was.
    """
    if all(r.submitted_at is not None for r in reviews):
        ordered = sorted(reviews, key=lambda r: (r.submitted_at, r.index))
    else:
        ordered = sorted(reviews, key=lambda r: r.index)
    states: dict[str, Review] = {}
    for review in ordered:
        if review.state not in _COUNTED:
            continue
        if review.state == "DISMISSED":
            states.pop(review.login.lower(), None)
        else:
            states[review.login.lower()] = review
    return states


def parse_teams(documents: list[Any], source: str) -> dict[str, set[str]]:
    """Slug (lower case, no '@') -> member logins (lower case)."""
    teams: dict[str, set[str]] = {}
    for document in documents:
        if not isinstance(document, dict):
            raise UsageError(f"--teams {source}: expected {TEAMS_HINT}, got a JSON "
                             f"{type(document).__name__}")
        for slug, members in document.items():
            if not isinstance(members, list):
                raise UsageError(f"--teams {source}: team {slug!r}: expected a list of logins; "
                                 f"pass {TEAMS_HINT}")
            logins = set()
            for member in members:
                login = member.get("login") if isinstance(member, dict) else member
                if not isinstance(login, str):
                    raise UsageError(f"--teams {source}: team {slug!r}: {member!r} is not a "
                                     f"login; pass {TEAMS_HINT}")
                logins.add(login.lower())
            teams.setdefault(slug.lstrip("@").lower(), set()).update(logins)
    return teams


def load_teams(path: Path) -> dict[str, set[str]]:
    return parse_teams(read_json(path, "--teams", TEAMS_HINT), str(path))


@dataclass
class Requirement:
    """What one changed prompt needs, and what it has."""

    id: str
    change: str
    scope: str
    required: int
    owners: list[str]
    approved_by: list[str] = field(default_factory=list)
    changes_requested_by: list[str] = field(default_factory=list)
    unresolved_teams: list[str] = field(default_factory=list)
    can_approve: int = 0  # distinct known owners other than the author

    @property
    def missing(self) -> int:
        return max(0, self.required - len(self.approved_by))

    @property
    def ok(self) -> bool:
        return self.missing == 0 and not self.changes_requested_by

    def summary(self, author: str) -> str:
        owners = ", ".join(self.owners)
        got = (f"approved by {', '.join('@' + a for a in self.approved_by)}"
               if self.approved_by else "no owner approval yet")
        parts = [f"{self.id} ({self.change}, scope {self.scope}): {got} "
                 f"({len(self.approved_by)} of {self.required})"]
        if self.missing:
            parts.append(f"needs {self.missing} more from {owners} (the author @{author} does "
                         "not count)")
        for login in self.changes_requested_by:
            parts.append(f"@{login} (an owner) requested changes: address them, then ask "
                         f"@{login} to approve or dismiss that review")
        for team in self.unresolved_teams:
            parts.append(f"the members of {team} are unknown: pass --teams with them (the "
                         "workflow fetches them with the ORG_READ_TOKEN secret)")
        if self.missing and not self.unresolved_teams and self.can_approve < self.required:
            parts.append(f"only {self.can_approve} owner(s) besides the author can approve: add "
                         "owners to the prompt in a separate pull request")
        return "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "change": self.change, "scope": self.scope,
                "required": self.required, "owners": self.owners,
                "approved_by": self.approved_by, "missing": self.missing,
                "changes_requested_by": self.changes_requested_by,
                "unresolved_teams": self.unresolved_teams, "ok": self.ok}


@dataclass
class ApprovalReport:
    author: str
    requirements: list[Requirement]
    blocked: str | None = None  # why nothing could be evaluated (the head does not validate)
    warnings: list[str] = field(default_factory=list)  # reviews that count for nobody, and why

    @property
    def ok(self) -> bool:
        return self.blocked is None and all(r.ok for r in self.requirements)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "author": self.author, "blocked": self.blocked,
                "prompts": [r.as_dict() for r in self.requirements],
                "warnings": self.warnings}


def _owning(result: CheckResult, prompt_id: str) -> tuple[Prompt, Prompt | None]:
    """(the prompt whose owners approve, the other side): base where it exists, else head."""
    old, new = result.base.prompts.get(prompt_id), result.head.prompts.get(prompt_id)
    if old is not None:
        return old, new
    assert new is not None
    return new, None


def teams_needed(result: CheckResult) -> list[str]:
    """The ``org/team`` owners of the changed prompts: the teams whose members to fetch."""
    teams: set[str] = set()
    for change in result.changes:
        prompt, _other = _owning(result, change.id)
        teams.update(o.lstrip("@") for o in prompt.owners if "/" in o)
    return sorted(teams)


def evaluate(result: CheckResult, reviews: list[Review], author: str,
             teams: dict[str, set[str]]) -> ApprovalReport:
    author = author.lstrip("@")
    if not result.valid:
        first = result.violations[0].message if result.violations else "the head is invalid"
        return ApprovalReport(author, [], blocked=first)
    config = result.base.config
    needs = {"team": config.approvals_team, "global": config.approvals_global}
    states = latest_states(reviews)
    requirements = []
    for change in result.changes:
        prompt, other = _owning(result, change.id)
        scopes = {prompt.scope, other.scope if other else prompt.scope}
        scope = "global" if "global" in scopes else "team"
        owners, unresolved = _resolve_owners(prompt.owners, teams)
        owners.discard(author.lower())
        requirement = Requirement(change.id, change.change, scope, needs[scope],
                                  list(prompt.owners), unresolved_teams=unresolved,
                                  can_approve=len(owners))
        for login, review in sorted(states.items()):
            if login not in owners:
                continue
            if review.state == "APPROVED":
                requirement.approved_by.append(review.login)
            else:
                requirement.changes_requested_by.append(review.login)
        requirements.append(requirement)
    return ApprovalReport(author, requirements)


def _resolve_owners(owners: list[str], teams: dict[str, set[str]]) -> tuple[set[str], list[str]]:
    """(logins, lower case; the ``@org/team`` owners whose members are unknown)."""
    logins: set[str] = set()
    unresolved = []
    for owner in owners:
        name = owner.lstrip("@").lower()
        if "/" not in name:
            logins.add(name)
            continue
        members = teams.get(name)
        if members is None:
            members = teams.get(name.split("/", 1)[1])
        if members is None:
            unresolved.append(owner)
        else:
            logins |= members
    return logins, unresolved
