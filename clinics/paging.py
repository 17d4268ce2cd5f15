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
