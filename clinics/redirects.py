"""The one check for ``next=``: a redirect target typed into a form or a link is
followed only when it stays on this site (``url_has_allowed_host_and_scheme``)."""

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, default: str) -> str:
    """``next`` from the POST (or the query string) if it points to this site, else ``default``.

    Refused: other hosts (``https://evil.example/``), scheme-relative (``//evil.example``),
    backslash tricks, on an HTTPS request a plain-HTTP target, and anything that is not
    a path from the site's root (``True``, ``dashboard``): ``redirect()`` would take such
    a word for a URL name.
    """
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default
