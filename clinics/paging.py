"""Paging for every list: one page size (``settings.BACKPATH_PAGE_SIZE``), one helper,
and one partial (``templates/_pager.html``) whose links keep the page's other query
parameters, so that two lists on one page never reset each other."""

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.http import HttpRequest


def page_size() -> int:
    return int(settings.BACKPATH_PAGE_SIZE)


def page_of(request: HttpRequest, queryset: Any, param: str = "page") -> Page:
    """The page of ``queryset`` that ``?<param>=`` asks for (the last page when too high,
    the first when not a number)."""
    return Paginator(queryset, page_size()).get_page(request.GET.get(param))


# Beyond any real list; keeps a typed number inside the database's integer range.
MAX_PAGE = 100_000


def page_number(request: HttpRequest, param: str = "page") -> int:
    """``?<param>=`` as a page number (1 when missing, not a number or out of range)."""
    try:
        number = int(request.GET.get(param, ""))
    except ValueError:
        return 1
    return number if 1 <= number <= MAX_PAGE else 1


def slice_page(request: HttpRequest, queryset: Any, param: str = "page") -> "KeysetPage":
    """The page of ``queryset`` that ``?<param>=`` asks for, without COUNT(*): one row
    more than a page tells whether there is a next one ("Page 3", not "Page 3 of 40").
    A page past the end shows the first."""
    size = page_size()
    number = page_number(request, param)
    rows = list(queryset[(number - 1) * size : number * size + 1])
    if not rows and number > 1:
        number, rows = 1, list(queryset[: size + 1])
    return KeysetPage(
        rows[:size],
        number,
        len(rows) > size,
        {param: str(number - 1)},
        {param: str(number + 1)},
        owned=(param,),
    )


@dataclass(frozen=True)
class KeysetPage:
    """A page of a list paged by key (no COUNT): the parameters of its neighbours."""

    object_list: list[Any]
    number: int
    has_next: bool
    previous_params: dict[str, str] = field(default_factory=dict)
    next_params: dict[str, str] = field(default_factory=dict)
    # The parameters this kind of page owns; the pager drops them before adding its own.
    owned: tuple[str, ...] = ("page", "after", "before")

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    def __iter__(self) -> Any:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


def neighbour_query(request: HttpRequest, page: Any, direction: str, param: str = "page") -> str:
    """``?...`` for the previous or next page: the request's parameters with this list's
    own replaced."""
    params = request.GET.copy()
    if isinstance(page, KeysetPage):
        for name in page.owned:
            params.pop(name, None)
        params.update(page.previous_params if direction == "previous" else page.next_params)
    else:
        number = page.previous_page_number() if direction == "previous" else page.next_page_number()
        params[param] = str(number)
    return "?" + params.urlencode()
