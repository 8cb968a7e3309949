"""The links every page carries (stylesheet, scripts, "Exit this page", the footer), built
once per root the application is served under, and right under each root."""

from __future__ import annotations

from flask import Flask

from tests.helpers.pages import check_page

SHARED = {
    'link[href$="candour.css"]': ("href", "/static/candour.css"),
    'script[src$="exit-this-page.js"]': ("src", "/static/exit-this-page.js"),
    'script[src$="forms.js"]': ("src", "/static/forms.js"),
    ".cd-exit-this-page a": ("href", "/exit"),
    ".cd-header__service": ("href", "/"),
}
FOOTER = ["/privacy", "/accessibility", "/cookies"]


def _links(app: Flask, path: str, root: str = "") -> tuple[dict[str, str], list[str]]:
    client = app.test_client()
    page = check_page(client.get(path, environ_overrides={"SCRIPT_NAME": root}))
    shared = {
        selector: str(page.one(selector)[attribute]) for selector, (attribute, _) in SHARED.items()
    }
    footer = [str(a["href"]) for a in page.select(".cd-footer__links a")]
    return shared, footer


def test_every_page_links_to_the_site_under_the_root_it_is_served_from(app: Flask) -> None:
    expected = {selector: address for selector, (_, address) in SHARED.items()}
    for path in ("/", "/privacy"):
        assert _links(app, path) == (expected, FOOTER)
    # The same process served under a prefix (a proxy's sub-path), then at the top again.
    prefixed = {selector: "/candour" + address for selector, address in expected.items()}
    assert _links(app, "/cookies", "/candour") == (prefixed, ["/candour" + a for a in FOOTER])
    assert _links(app, "/accessibility") == (expected, FOOTER)
