"""Check every page the same way: status, title, one h1, CSRF tokens and error-summary links.

Select elements with CSS selectors on the parsed page, never by substring.
"""

from __future__ import annotations

from dataclasses import dataclass

from bs4 import BeautifulSoup, Tag
from werkzeug.test import TestResponse


@dataclass
class Page:
    response: TestResponse
    soup: BeautifulSoup

    @property
    def title(self) -> str:
        assert self.soup.title is not None
        return self.soup.title.get_text(strip=True)

    @property
    def h1(self) -> str:
        return self.soup.select_one("h1").get_text(" ", strip=True)  # type: ignore[union-attr]

    def select(self, selector: str) -> list[Tag]:
        return self.soup.select(selector)

    def one(self, selector: str) -> Tag:
        found = self.soup.select(selector)
        assert len(found) == 1, f"expected one {selector!r}, found {len(found)}"
        return found[0]

    def csrf_token(self) -> str:
        return str(self.one("form[method=post] input[name=csrf_token]")["value"])

    def error_messages(self) -> list[str]:
        return [a.get_text(strip=True) for a in self.select(".cd-error-summary a")]

    def text(self) -> str:
        return self.soup.get_text(" ", strip=True)


def check_page(response: TestResponse, status: int = 200) -> Page:
    """Parse a page and check what every page of the service must get right."""
    assert response.status_code == status, response.status_code
    assert response.mimetype == "text/html"
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    page = Page(response, soup)
    assert soup.title is not None and page.title.endswith("– Candour")
    assert len(soup.select("h1")) == 1, "a page has exactly one h1"
    for form in soup.select("form"):
        if form.get("method", "get").lower() == "post":
            tokens = form.select("input[name=csrf_token]")
            assert len(tokens) == 1 and tokens[0].get("value"), "POST form without CSRF token"
    summary_links = soup.select(".cd-error-summary a")
    if summary_links:
        assert page.title.startswith("Error: ")
        for link in summary_links:
            target = str(link["href"])
            assert target.startswith("#")
            assert soup.find(id=target[1:]) is not None, f"error link to missing {target}"
    else:
        assert not page.title.startswith("Error:")
    return page
