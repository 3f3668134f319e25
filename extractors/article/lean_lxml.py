"""trafilatura's lxml objects, set up to hand Python fewer objects; the same results.

Most of a page's extraction CPU is trafilatura's pruning XPaths, whose `re:test` calls back
into Python for each element they test, with the attributes it reads. By default lxml makes a
"smart" string of each such value, which carries the element it came from, and makes that
element a Python object too, picking its class by calling lxml.html's Python lookup method.
Neither is needed here:

- the pruning XPaths select elements, never strings, so compiled without smart strings they
  select the same elements while `re:test` gets plain strings (`fewer_smart_strings`);
- lxml's C-level default lookup gives elements, comments, processing instructions and entities
  the same lxml.html classes without a Python call (`classes_chosen_in_c`). Only forms'
  controls differ: plain HtmlElement instead of FormElement, InputElement and the like, whose
  extra properties (a form's fields, an input's value) no extraction step reads.

Measured on the corpus pages in one process, page by page in turn with and without:
docs/performance.md ("Ninth session").
"""

from __future__ import annotations

from lxml.etree import ElementDefaultClassLookup, XPath
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction
from trafilatura import xpaths
from trafilatura.utils import HTML_PARSER

LOOKUP = ElementDefaultClassLookup(
    element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity
)


def install() -> None:
    classes_chosen_in_c()
    fewer_smart_strings()


def classes_chosen_in_c() -> None:
    """Every page trafilatura parses (`trafilatura.utils.load_html`) gets `LOOKUP`."""
    HTML_PARSER.set_element_class_lookup(LOOKUP)


def fewer_smart_strings() -> None:
    """Compile trafilatura's XPath lists again without smart strings, in place: its modules
    hold the same list objects."""
    namespaces = {"re": xpaths.REGEXP_NS}
    for expressions in xpath_lists():
        expressions[:] = [
            XPath(x.path, namespaces=namespaces, smart_strings=False)
            if isinstance(x, XPath) else x
            for x in expressions
        ]


def xpath_lists() -> list[list[object]]:
    """trafilatura's lists of XPath expressions (`trafilatura.xpaths.*_XPATH`)."""
    return [
        value for name, value in vars(xpaths).items()
        if name.endswith("_XPATH") and isinstance(value, list)
    ]
