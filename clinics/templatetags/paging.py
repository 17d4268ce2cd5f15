from typing import Any

from django import template

from clinics.paging import neighbour_query

register = template.Library()


@register.simple_tag(takes_context=True)
def page_query(context: dict[str, Any], page: Any, direction: str, param: str = "page") -> str:
    """``?...`` of the previous/next page, keeping the other lists' and filters' parameters."""
    return neighbour_query(context["request"], page, direction, param)
