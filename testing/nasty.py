"""Generate a hostile archive: good articles in every format, mixed with what real
folders also hold (binary files with text names, empty files, a file far larger than
any article, truncated gzip, malformed JSON lines, tag soup, a WARC with a broken
record, pipes, unreadable files, broken links and link loops, odd file names).

`write_nasty_corpus` writes it from a seed and returns what indexing must find: the
good articles (each with a word no other article has) and, for every bad input, the
path (and line) a skip must name and a fragment of its reason."""

from __future__ import annotations

import gzip
import json
import os
import random
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .warcs import html_page, http_response, warc_record

WORDS = ("harbour council minister border troops election budget storm river bridge school hospital "
         "strike court ruling vaccine market energy prices farmers drought flood rescue museum festival "
         "railway airport tariff summit treaty protest parliament inquiry verdict satellite reactor wildfire "
         "coastline fishermen orchestra stadium refinery shipyard glacier vineyard").split()
CHUNK = 1 << 20


@dataclass
class Good:
    title: str
    token: str  # a word only this article has, to find it by search


@dataclass
class Bad:
    path: str
    reason: str  # a fragment the skip's reason must contain
    line: int | None = None


@dataclass
class NastyCorpus:
    root: Path
    good: list[Good] = field(default_factory=list)
    bad: list[Bad] = field(default_factory=list)
    partial: set[str] = field(default_factory=set)  # damaged files: their articles may or may not come in
    denied: list[Path] = field(default_factory=list)  # files that must be unreadable (see `unreadable`)
    huge: list[Path] = field(default_factory=list)


class _Writer:
    def __init__(self, root: Path, seed: int):
        self.root = root
        self.rng = random.Random(seed)
        self.corpus = NastyCorpus(root)
        self.count = 0

    # good articles -------------------------------------------------------------------
    def article(self) -> tuple[str, list[str], str]:
        """(title, paragraphs, token) of a new article with varied generated text."""
        self.count += 1
        token = f"nasty{self.count:03d}x{self.rng.randrange(10**6):06d}"
        rng = self.rng
        title = f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} report {self.count}"
        paragraphs = []
        for number in range(rng.randint(2, 4)):
            words = [rng.choice(WORDS) for _ in range(rng.randint(18, 45))]
            if number == 0:
                words.insert(rng.randrange(len(words)), token)
            paragraphs.append(" ".join(words).capitalize() + ".")
        self.corpus.good.append(Good(title, token))
        return title, paragraphs, token

    def record(self) -> dict:
        title, paragraphs, token = self.article()
        return {"id": token, "title": title, "text": "\n\n".join(paragraphs), "date": "2022-01-10"}

    def path(self, name: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def text_file(self, name: str) -> Path:
        title, paragraphs, _ = self.article()
        path = self.path(name)
        path.write_text(f"{title}\nDate: 2022-01-{self.rng.randint(10, 28)}\n\n" + "\n\n".join(paragraphs),
                        encoding="utf-8")
        return path

    def bad(self, path: Path | str, reason: str, line: int | None = None) -> None:
        self.corpus.bad.append(Bad(str(path), reason, line))

    def noise(self, size: int) -> bytes:
        """Random bytes with NULs in them, as binary files have."""
        data = bytearray(self.rng.randbytes(size))
        for _ in range(max(1, size // 64)):
            data[self.rng.randrange(size)] = 0
        return bytes(data)

    def write_huge(self, path: Path, size: int, head: bytes = b"", tail: bytes = b"", sparse: bool = False) -> None:
        """A file of `size` bytes written in chunks (or a sparse one, costing no disk)."""
        with path.open("wb") as out:
            out.write(head)
            if sparse:
                out.truncate(size)
                out.seek(size)
            else:
                block = (b"lorem ipsum dolor " * (CHUNK // 18 + 1))[:CHUNK]
                left = size - len(head) - len(tail)
                while left > 0:
                    out.write(block[:min(left, CHUNK)])
                    left -= CHUNK
            out.write(tail)
        self.corpus.huge.append(path)


def write_nasty_corpus(root: Path, seed: int = 0, huge_bytes: int = 200 * 2**20) -> NastyCorpus:
    """A hostile archive under `root` (see the module's docstring)."""
    root.mkdir(parents=True, exist_ok=True)
    w = _Writer(root.resolve(), seed)
    rng = w.rng
    root = w.root

    # Good text files, some with odd names.
    names = ["plain.txt", "with space.txt", "new\nline.txt", "nön-äscii 新闻 ✓.md", "tab\there.txt", "-dash.txt",
             " leading and trailing .txt", "über/naïve café.txt", "quote\"and'apostrophe.txt"]
    for name in rng.sample(names, len(names)):
        w.text_file(name)
    w.text_file("y.txt/inner article.txt")  # a folder with a text file's name
    latin1 = w.text_file("latin1-name.txt")  # a name whose bytes are not UTF-8, as old archives have
    latin1.rename(os.fsdecode(os.fsencode(root) + b"/caf\xe9 " + bytes(rng.randrange(0xc0, 0xff) for _ in range(3))
                              + b".txt"))

    # JSON Lines: good records among malformed lines.
    lines: list[bytes] = []
    broken = [
        (b'{"id": "x", "title": "cut off", "text": "no closing', "invalid JSON"),
        (b"\x00\xff\xfe garbage \x00", "invalid JSON"),
        (b"[1, 2, 3]", "not an object"),
        (b"null", "not an object"),
        (b'{"title": "headline only"}', "record has no text"),
        (b'{"id": 1' + b"1" * 5000 + b', "text": "a number too long to read"}', "invalid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "invalid JSON"),
    ]
    rng.shuffle(broken)
    for content, reason in broken:
        for _ in range(rng.randint(1, 3)):
            lines.append(json.dumps(w.record()).encode())
        lines.append(content)
        w.bad(root / "mixed.jsonl", reason, len(lines))
    duplicate = w.record()
    lines += [json.dumps(duplicate).encode(), json.dumps({**duplicate, "title": "again"}).encode()]
    w.bad(root / "mixed.jsonl", "duplicate article id", len(lines))
    lines.append(json.dumps(w.record()).encode()[:-1])  # the last line cut short, no newline
    w.corpus.good.pop()
    w.bad(root / "mixed.jsonl", "invalid JSON", len(lines))
    w.path("mixed.jsonl").write_bytes(b"\n".join(lines))

    # Compressed JSON Lines: one whole, one cut in half.
    w.path("news.jsonl.gz").write_bytes(gzip.compress(b"\n".join(json.dumps(w.record()).encode() for _ in range(3))))
    before = len(w.corpus.good)
    whole = gzip.compress(b"\n".join(json.dumps(w.record()).encode() for _ in range(40)))
    del w.corpus.good[before:]
    w.path("cut.jsonl.gz").write_bytes(whole[:len(whole) // 2])
    w.bad(root / "cut.jsonl.gz", "truncated or corrupt gzip")
    w.corpus.partial.add(str(root / "cut.jsonl.gz"))

    # HTML: good pages, a sloppy one that still reads, tag soup.
    for number in range(rng.randint(2, 3)):
        title, paragraphs, _ = w.article()
        w.path(f"page-{number}.html").write_text(html_page(title, paragraphs), encoding="utf-8")
    title, paragraphs, _ = w.article()
    sloppy = html_page(title, paragraphs).replace("</p>", "").replace("</article>", "</div></span>")
    w.path("sloppy.htm").write_text(sloppy.replace("</body></html>", ""), encoding="utf-8")
    soup = "".join(rng.choice(["<", ">", "</", "<div", "<p", "=", '"', "<!--", "-->", "<![CDATA["])
                   for _ in range(2000))
    w.path("soup.html").write_text(soup, encoding="utf-8")
    w.bad(root / "soup.html", "no article text found in the HTML")

    # A WARC with broken records among good ones: one whose length lies, one whose HTTP
    # response is garbage; request records between, as crawlers write them.
    lying, garbage = rng.sample(range(1, 6), 2)
    with w.path("crawl.warc").open("wb") as out:
        out.write(warc_record("warcinfo", "", b"software: nasty corpus\r\n"))
        for number in range(7):
            uri = f"https://news.example.com/nasty-{number}"
            out.write(warc_record("request", uri, f"GET /nasty-{number} HTTP/1.1\r\n\r\n".encode()))
            if number == lying:
                record = warc_record("response", uri, http_response(html_page("Lying", ["Never read."])))
                head, _, rest = record.partition(b"\r\n\r\n")
                out.write(head.replace(b"Content-Length:", b"Content-Length: 9", 1) + b"\r\n\r\n" + rest[:200])
            elif number == garbage:
                out.write(warc_record("response", uri, w.noise(rng.randint(10, 3000))))
            else:
                title, paragraphs, _ = w.article()
                out.write(warc_record("response", uri, http_response(html_page(title, paragraphs))))
                continue
            w.bad(root / "crawl.warc", "broken WARC record", number + 1)

    # A table with a row that has too many fields, and a feed.
    rows = ["title,text,date"]
    for _ in range(3):
        record = w.record()
        rows.append(f'"{record["title"]}","{record["text"]}",2022-02-01')
    rows.insert(2, "a,b,c,d,e")
    w.path("table.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    w.bad(root / "table.csv", "fields", rows[:2][1].count("\n") + 3)
    entries = []
    for number in range(2):
        title, paragraphs, _ = w.article()
        entries.append(f"<item><title>{title}</title><link>https://feed.example/{number}</link>"
                       f"<description>{' '.join(paragraphs)}</description></item>")
    w.path("wire.rss").write_text(f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>'
                                  f'{"".join(entries)}</channel></rss>', encoding="utf-8")

    # A zip with a good member and a binary one.
    with zipfile.ZipFile(w.path("bundle.zip"), "w") as archive:
        archive.writestr("inside.jsonl", json.dumps(w.record()))
        archive.writestr("junk.txt", w.noise(3000))
    w.bad(f"{root / 'bundle.zip'}::junk.txt", "binary content")

    # Binary files with the names of text formats.
    binary_reasons = {".txt": "binary content", ".md": "binary content", ".html": "binary content",
                      ".json": "binary content", ".jsonl": "binary content", ".csv": "binary content",
                      ".xml": "binary content", ".rss": "binary content", ".warc": "not a WARC file",
                      ".jsonl.gz": "not a readable gzip file", ".zip": "not a readable zip file"}
    for suffix, reason in binary_reasons.items():
        path = w.path(f"binary-{rng.randrange(1000)}{suffix}")
        path.write_bytes(w.noise(rng.choice([1, 7, 600, 5000, 70_000])))
        w.bad(path, reason)

    # Empty and whitespace-only files. (An empty JSON Lines file is an empty collection:
    # nothing to index and nothing to report, so that a file emptied loses its articles.)
    for suffix in (".jsonl", ".jsonl.gz"):
        w.path(f"empty{suffix}").write_bytes(b"" if suffix == ".jsonl" else gzip.compress(b" \n\n"))
    for suffix in (".txt", ".md", ".html", ".json", ".csv", ".xml", ".warc"):
        w.path(f"empty{suffix}").write_bytes(b"")
        w.path(f"blank{suffix}").write_bytes("".join(rng.choice(" \t\r\n\u00a0\u3000")
                                                     for _ in range(rng.randint(1, 50))).encode())
        w.bad(root / f"empty{suffix}", "no article text")
        w.bad(root / f"blank{suffix}", "no article text")
    w.path("zero.jsonl.gz").write_bytes(b"")
    w.bad(root / "zero.jsonl.gz", "not a readable gzip file")
    w.path("title-only.txt").write_text("Just a headline\n", encoding="utf-8")
    w.bad(root / "title-only.txt", "no article text")
    w.path("deep.json").write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    w.bad(root / "deep.json", "invalid JSON")

    # Files far larger than any article: single-article formats, and one long line among
    # good ones in a streaming format.
    for name in ("huge.txt", "huge.html", "huge.json"):
        w.write_huge(w.path(name), huge_bytes, sparse=True)
        w.bad(root / name, "file too large")
    first, last = w.record(), w.record()
    w.write_huge(w.path("long-line.jsonl"), huge_bytes,
                 head=json.dumps(first).encode() + b'\n{"id": "huge", "text": "',
                 tail=b'"}\n' + json.dumps(last).encode() + b"\n")
    w.bad(root / "long-line.jsonl", "line too large", 2)
    first, last = (" ".join(w.record()["text"].split()) for _ in range(2))
    w.write_huge(w.path("long-row.csv"), huge_bytes, head=f'title,text\nFirst,"{first}"\nHuge,"'.encode(),
                 tail=f'"\nLast,"{last}"\n'.encode())
    w.corpus.good[-2].title, w.corpus.good[-1].title = "First", "Last"
    w.bad(root / "long-row.csv", "line too large", 3)

    # Things that are not readable files.
    os.mkfifo(w.path("pipe.txt"))
    w.bad(root / "pipe.txt", "not a regular file")
    secret = w.path("secret.txt")
    secret.write_text("Secret\n\nNobody may read this text, whoever runs the indexer.", encoding="utf-8")
    secret.chmod(0)
    w.corpus.denied.append(secret)
    w.bad(secret, "cannot read: Permission denied")
    (root / "dangling.txt").symlink_to(root / "nowhere.txt")
    w.bad(root / "dangling.txt", "broken symbolic link")
    (root / "loop-a.txt").symlink_to(root / "loop-b.txt")
    (root / "loop-b.txt").symlink_to(root / "loop-a.txt")
    (root / "self.md").symlink_to("self.md")
    for name in ("loop-a.txt", "loop-b.txt", "self.md"):
        w.bad(root / name, "symbolic link loop")
    (root / "über" / "up").symlink_to("..")  # a folder loop: not followed
    (root / "alias.txt").symlink_to(root / "plain.txt")  # the same file twice: read once
    w.path("photo.jpg").write_bytes(w.noise(2000))
    w.bad(root / "photo.jpg", "unsupported format '.jpg'")
    return w.corpus


@contextmanager
def unreadable(paths: list[Path]) -> Iterator[None]:
    """Opening these files fails as it does without permission (tests run as root, who
    may read anything, so chmod alone is not enough)."""
    denied = {Path(p) for p in paths}
    real_open = Path.open

    def open_file(self: Path, *args, **kwargs):  # noqa: ANN002, ANN003
        if self in denied:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    Path.open = open_file
    try:
        yield
    finally:
        Path.open = real_open


def remove_huge(corpus: NastyCorpus) -> None:
    for path in corpus.huge:
        path.unlink(missing_ok=True)

