"""A page's HTML, checked as a parser reads it: no form inside a form, no end tag without its start, every id once,
every label's `for` naming one field of the page. Axe and Lighthouse both missed a nested form and duplicate ids."""

from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
FIELDS = {"input", "select", "textarea", "button", "output", "meter", "progress"}


class _Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.forms = 0
        self.ids: dict[str, str] = {}
        self.label_fors: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        line = self.getpos()[0]
        if tag == "form":
            if self.forms:
                self.problems.append(f"line {line}: a <form> inside a <form>")
            self.forms += 1
        if "id" in attrs:
            if attrs["id"] in self.ids:
                self.problems.append(f"line {line}: id {attrs['id']!r} used twice")
            self.ids[attrs["id"]] = tag
        if tag == "label" and attrs.get("for"):
            self.label_fors.append(attrs["for"])

    def handle_endtag(self, tag):
        if tag == "form":
            if not self.forms:
                self.problems.append(f"line {self.getpos()[0]}: </form> without a <form>")
            else:
                self.forms -= 1


def html_problems(html: str) -> list[str]:
    checker = _Checker()
    checker.feed(html)
    checker.close()
    problems = checker.problems
    if checker.forms:
        problems.append("a <form> never closed")
    for target in checker.label_fors:
        if target not in checker.ids:
            problems.append(f"label for {target!r}: no element has that id")
        elif checker.ids[target] not in FIELDS:
            problems.append(f"label for {target!r}: names a <{checker.ids[target]}>, not a field")
    for target in {t for t in checker.label_fors if checker.label_fors.count(t) > 1}:
        problems.append(f"two labels for {target!r}")
    return problems
