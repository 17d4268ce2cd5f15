"""``{% row_url "app:name" pk [more args] %}``: ``{% url %}`` for the rows of a long table.

``reverse()`` costs as much as rendering the rest of a table row, and the links of the
rows differ only in the id. The first row reverses the name with a marker id, the
others fill their id into the same text. Kept on the request: one response only.
Without a ``pk`` (``{% row_url "app:name" %}``) the one URL is reversed once.
"""

from typing import Any

from django import template
from django.urls import reverse

register = template.Library()

_MARKER = 918273645546372819


@register.simple_tag(takes_context=True)
def row_url(context: Any, name: str, pk: int | None = None, *args: Any) -> str:
    request = context.get("request")
    if request is None:
        return reverse(name, args=[] if pk is None else [pk, *args])
    cache = request.__dict__.setdefault("_row_urls", {})
    key = (name, pk is None, *args)
    parts = cache.get(key)
    if parts is None:
        if pk is None:
            parts = (reverse(name),)
        else:
            parts = tuple(reverse(name, args=[_MARKER, *args]).split(str(_MARKER)))
        cache[key] = parts
    if pk is None:
        return parts[0]
    head, tail = parts
    return f"{head}{int(pk)}{tail}"
