"""The job list's state (search, filters, sort, page) as it lives in the URL.

Parsing is forgiving: a value the list does not know is dropped, so an edited or stale
bookmark still opens a page. `url()` writes only what differs from the defaults.
"""

import re
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Literal
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from job_contract import JobStatus, JobType
from job_contract.analytics import ERROR_GROUP_PATTERN
from job_contract.bounds import DEFAULT_PAGE_SIZE, MAX_OFFSET, MAX_PAGE_SIZE, MAX_SEARCH_CHARS
from job_contract.bounds import PRIORITIES as PRIORITY_RANGE
from job_contract.schedules import SCHEDULE_NAME_PATTERN

SORT_KEYS = ("created_at", "updated_at", "priority", "status", "type")
# The sizes offered: the API's default among them, none over the largest page it serves.
PAGE_SIZES = tuple(
    sorted(size for size in {10, 50, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE} if size <= MAX_PAGE_SIZE)
)
# The filter's choices, most urgent first.
PRIORITIES = tuple(str(priority) for priority in reversed(PRIORITY_RANGE))
# The order a column sorts in when first clicked: newest and most urgent first, names A→Z.
_FIRST_ORDER = {"created_at": "desc", "updated_at": "desc", "priority": "desc"}


def _one_of(raw: str | None, allowed: tuple[str, ...], default: str) -> str:
    return raw if raw is not None and raw in allowed else default


# Longer numbers are no page anyone can reach, and int() refuses past 4,300 digits anyway.
_MAX_DIGITS = 9


def _positive_int(raw: str | None, default: int) -> int:
    # str.isdigit() is also true of "²" and "١", which int() reads differently or not at all.
    if not raw or not (raw.isascii() and raw.isdigit()) or len(raw) > _MAX_DIGITS:
        return default
    return int(raw) or default


def _known(values: list[str], allowed: set[str]) -> tuple[str, ...]:
    chosen = {item.strip() for value in values for item in value.split(",")}
    return tuple(sorted(chosen & allowed))


def _error_group(raw: str | None) -> str:
    return raw if raw is not None and re.fullmatch(ERROR_GROUP_PATTERN, raw) else ""


def _schedule(raw: str | None) -> str:
    # Typed into a box: spaces and capitals are forgiven, anything else no schedule has.
    name = (raw or "").strip().lower()
    return name if re.fullmatch(SCHEDULE_NAME_PATTERN, name) else ""


@dataclass(frozen=True)
class JobQuery:
    q: str = ""
    statuses: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    priority: str = ""
    # A failure's group, from the analytics page's "View jobs".
    error_group: str = ""
    sort: str = "created_at"
    order: str = "desc"
    page: int = 1
    limit: int = DEFAULT_PAGE_SIZE
    callback: str = ""  # "failed": jobs whose callback finally failed
    schedule: str = ""  # the jobs one schedule made

    @classmethod
    def from_params(
        cls, params: QueryParams, type_names: Collection[str] = tuple(JobType)
    ) -> "JobQuery":
        """The list asked for; unknown values (an old or edited link) are dropped. The type
        names are the registered ones: custom types filter like built-ins."""
        limit = _positive_int(params.get("limit"), cls.limit)
        return cls(
            q=params.get("q", "").strip()[:MAX_SEARCH_CHARS],
            statuses=_known(params.getlist("status"), {s.value for s in JobStatus}),
            types=_known(params.getlist("type"), set(type_names)),
            priority=_one_of(params.get("priority"), PRIORITIES, ""),
            error_group=_error_group(params.get("error_group")),
            sort=_one_of(params.get("sort"), SORT_KEYS, cls.sort),
            order=_one_of(params.get("order"), ("asc", "desc"), cls.order),
            page=_positive_int(params.get("page"), 1),
            limit=limit if limit in PAGE_SIZES else cls.limit,
            callback=_one_of(params.get("callback"), ("failed",), ""),
            schedule=_schedule(params.get("schedule")),
        ).within_reach()

    def within_reach(self) -> "JobQuery":
        """The same view, its page no further than the API lists (offset ≤ MAX_OFFSET)."""
        last_page = MAX_OFFSET // self.limit + 1
        return replace(self, page=last_page) if self.page > last_page else self

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit

    @property
    def is_filtered(self) -> bool:
        return bool(self._filter_pairs())

    def api_params(self) -> list[tuple[str, str | int]]:
        params: list[tuple[str, str | int]] = [
            ("sort", self.sort),
            ("order", self.order),
            ("limit", self.limit),
            ("offset", self.offset),
        ]
        params.extend(self._filter_pairs())
        return params

    def api_filter(self) -> dict[str, str | list[str]]:
        """The list's filters as POST /jobs/bulk's `filter` takes them: a name given more than
        once as a list (the API reads one value or a list alike)."""
        grouped: dict[str, list[str]] = {}
        for name, value in self._filter_pairs():
            grouped.setdefault(name, []).append(value)
        return {name: values[0] if len(values) == 1 else values for name, values in grouped.items()}

    def _filter_pairs(self) -> list[tuple[str, str]]:
        """The filters as GET /jobs's query parameters."""
        pairs = [("status", status) for status in self.statuses]
        pairs += [("type", job_type) for job_type in self.types]
        if self.priority:
            pairs.append(("priority", self.priority))
        if self.q:
            pairs.append(("q", self.q))
        if self.callback:
            pairs.append(("callback", self.callback))
        if self.error_group:
            pairs.append(("error_group", self.error_group))
        if self.schedule:
            pairs.append(("schedule", self.schedule))
        return pairs

    def query_string(self) -> str:
        defaults = JobQuery()
        pairs: list[tuple[str, str | int]] = []
        if self.q:
            pairs.append(("q", self.q))
        pairs += [("status", status) for status in self.statuses]
        pairs += [("type", job_type) for job_type in self.types]
        names = (
            "priority",
            "callback",
            "error_group",
            "schedule",
            "sort",
            "order",
            "limit",
            "page",
        )
        for name in names:
            if getattr(self, name) != getattr(defaults, name):
                pairs.append((name, getattr(self, name)))
        return urlencode(pairs)

    def url(self) -> str:
        query = self.query_string()
        return f"/jobs?{query}" if query else "/jobs"

    def page_url(self, page: int) -> str:
        return replace(self, page=page).url()

    def sort_url(self, key: str) -> str:
        if key == self.sort:
            order = "asc" if self.order == "desc" else "desc"
        else:
            order = _FIRST_ORDER.get(key, "asc")
        return replace(self, sort=key, order=order, page=1).url()

    def sort_state(self, key: str) -> Literal["ascending", "descending", "none"]:
        if key != self.sort:
            return "none"
        return "ascending" if self.order == "asc" else "descending"

    def cleared_url(self) -> str:
        """The same view (sort, page size) with every filter removed."""
        return JobQuery(sort=self.sort, order=self.order, limit=self.limit).url()
