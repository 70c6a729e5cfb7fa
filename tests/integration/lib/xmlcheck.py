"""Checks Atom (RFC 4287) and RSS 2.0 documents: well-formed XML (the
parser rejects forbidden characters and bad entities) plus the elements
each spec requires. Standard library only.

    from xmlcheck import check_atom, check_rss
    problems = check_atom(body_bytes)     # [] when valid

or from a shell: python3 xmlcheck.py atom FILE... | rss FILE...
(exit status 1 and one line per problem when something is wrong).
"""
import email.utils
import html.parser
import re
import sys
import xml.etree.ElementTree as ET

ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?"
                     r"(Z|[+-]\d{2}:\d{2})$")
RFC822 = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} "
                    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                    r"\d{4} \d{2}:\d{2}:\d{2} ([+-]\d{4}|GMT|UT|Z)$")
IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
# Elements whose appearance in escaped HTML means escaping failed.
UNSAFE_TAGS = {"script", "style", "iframe", "object", "embed", "form"}


class _TagScan(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)


def html_tags(text):
    """Start tags found in an HTML fragment (content type="html")."""
    p = _TagScan()
    p.feed(text)
    p.close()
    return p.tags


def _parse(data, problems):
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        return ET.fromstring(data)
    except ET.ParseError as e:
        problems.append("not well-formed XML: %s" % e)
        return None


def _one(parent, tag, where, problems, required=True):
    found = parent.findall(tag)
    name = tag.replace(ATOM, "atom:")
    if len(found) > 1:
        problems.append("%s: more than one %s" % (where, name))
    if not found:
        if required:
            problems.append("%s: missing %s" % (where, name))
        return None
    return found[0]


def _date(el, pattern, where, problems):
    if el is None:
        return
    text = el.text or ""
    if not pattern.match(text):
        problems.append("%s: bad date %r" % (where, text))
    elif pattern is RFC822:
        try:
            email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            problems.append("%s: unparsable date %r" % (where, text))


def _html(el, where, problems):
    tags = html_tags(el.text or "")
    bad = sorted(UNSAFE_TAGS.intersection(tags))
    if bad:
        problems.append("%s: unescaped %s in html" % (where, ", ".join(bad)))


def check_atom(data):
    """Problems with an Atom feed document (empty list when valid)."""
    problems = []
    feed = _parse(data, problems)
    if feed is None:
        return problems
    if feed.tag != ATOM + "feed":
        return ["root is %s, not atom:feed" % feed.tag]
    for tag in ("id", "title", "updated"):
        _one(feed, ATOM + tag, "feed", problems)
    fid = feed.find(ATOM + "id")
    if fid is not None and not IRI.match(fid.text or ""):
        problems.append("feed: id %r is not an absolute IRI" % fid.text)
    _date(feed.find(ATOM + "updated"), RFC3339, "feed updated", problems)
    feed_author = feed.find(ATOM + "author") is not None
    if feed_author and feed.find(ATOM + "author/" + ATOM + "name") is None:
        problems.append("feed: author without name")
    alternates = set()
    for link in feed.findall(ATOM + "link"):
        if not link.get("href"):
            problems.append("feed: link without href")
        if link.get("rel", "alternate") == "alternate":
            key = (link.get("type"), link.get("hreflang"))
            if key in alternates:
                problems.append("feed: two alternate links for %s" % (key,))
            alternates.add(key)
    ids = set()
    for n, entry in enumerate(feed.findall(ATOM + "entry")):
        where = "entry %d" % n
        for tag in ("id", "title", "updated"):
            _one(entry, ATOM + tag, where, problems)
        eid = entry.find(ATOM + "id")
        if eid is not None:
            if not IRI.match(eid.text or ""):
                problems.append("%s: id %r is not an absolute IRI"
                                % (where, eid.text))
            if eid.text in ids:
                problems.append("%s: duplicate id %s" % (where, eid.text))
            ids.add(eid.text)
        _date(entry.find(ATOM + "updated"), RFC3339, where + " updated",
              problems)
        _date(_one(entry, ATOM + "published", where, problems, False),
              RFC3339, where + " published", problems)
        if not feed_author and entry.find(ATOM + "author") is None:
            problems.append("%s: no author (and none on the feed)" % where)
        content = _one(entry, ATOM + "content", where, problems, False)
        links = entry.findall(ATOM + "link")
        if content is None and not any(
                l.get("rel", "alternate") == "alternate" for l in links):
            problems.append("%s: neither content nor alternate link" % where)
        for link in links:
            if not link.get("href"):
                problems.append("%s: link without href" % where)
        if content is not None:
            if content.get("type", "text") not in ("text", "html", "xhtml"):
                problems.append("%s: content type %r"
                                % (where, content.get("type")))
            if content.get("type") == "html":
                _html(content, where, problems)
    return problems


def check_rss(data):
    """Problems with an RSS 2.0 document (empty list when valid)."""
    problems = []
    rss = _parse(data, problems)
    if rss is None:
        return problems
    if rss.tag != "rss" or rss.get("version") != "2.0":
        return ["root is %s version %s, not rss 2.0"
                % (rss.tag, rss.get("version"))]
    channels = rss.findall("channel")
    if len(channels) != 1:
        return ["%d channel elements, want 1" % len(channels)]
    ch = channels[0]
    for tag in ("title", "link", "description"):
        _one(ch, tag, "channel", problems)
    for tag in ("pubDate", "lastBuildDate"):
        _date(_one(ch, tag, "channel", problems, False), RFC822,
              "channel " + tag, problems)
    for link in ch.findall(ATOM + "link"):
        if not link.get("href") or link.get("rel") != "self":
            problems.append("channel: atom:link without href or rel=self")
    guids = set()
    for n, item in enumerate(ch.findall("item")):
        where = "item %d" % n
        if item.find("title") is None and item.find("description") is None:
            problems.append("%s: neither title nor description" % where)
        for tag in ("title", "link", "description", "guid", "pubDate"):
            _one(item, tag, where, problems, False)
        _date(item.find("pubDate"), RFC822, where + " pubDate", problems)
        guid = item.find("guid")
        if guid is not None:
            if guid.get("isPermaLink", "true") not in ("true", "false"):
                problems.append("%s: isPermaLink %r"
                                % (where, guid.get("isPermaLink")))
            if guid.text in guids:
                problems.append("%s: duplicate guid %s" % (where, guid.text))
            guids.add(guid.text)
        desc = item.find("description")
        if desc is not None:
            _html(desc, where, problems)
    return problems


def main(argv):
    if len(argv) < 3 or argv[1] not in ("atom", "rss"):
        print("usage: xmlcheck.py atom|rss FILE...", file=sys.stderr)
        return 2
    check = check_atom if argv[1] == "atom" else check_rss
    bad = 0
    for path in argv[2:]:
        with open(path, "rb") as f:
            problems = check(f.read())
        for p in problems:
            print("%s: %s" % (path, p))
        bad += bool(problems)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
