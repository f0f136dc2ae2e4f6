"""The JSON shapes of results, defined once: the command line's `--json`, the web API
(and its OpenAPI schema) and the page all use these."""

from __future__ import annotations

from typing import Any, Optional

from typing_extensions import TypedDict  # pydantic (the web API's schema) needs this one before Python 3.12

from ..index.storage.rows import Paragraph, StoredArticle


class ParagraphJSON(TypedDict):
    id: int
    position: int  # 0 is the headline, 1 the first paragraph
    part: int  # the window of a paragraph too long for the model, from 0
    score: float
    text: str


class CopyJSON(TypedDict):
    """An article as a hit names it among its syndicated copies."""

    id: int
    doc_id: Optional[str]
    title: Optional[str]
    date: Optional[str]
    source: Optional[str]
    url: Optional[str]
    path: str


class _Described(CopyJSON):
    author: Optional[str]
    place: Optional[str]  # from its dateline ("KYIV, Jan 10 (Reuters) -")
    agency: Optional[str]


class HitJSON(_Described):
    rank: int
    score: float
    paragraphs: list[ParagraphJSON]
    also_published_by: list[CopyJSON]  # syndicated copies: the same text, stored once
    story_id: Optional[int]  # the story thread (the id of its first article); None before stories are computed
    story_size: int  # articles in that story
    same_story: list[CopyJSON]  # other matches of the same story, grouped under this hit


class ArticleParagraphJSON(TypedDict):
    id: int
    article_id: int
    position: int
    part: int
    text: str


class ArticleJSON(_Described):
    key: str
    metadata: dict[str, Any]
    copy_of: Optional[int]
    paragraphs: list[ArticleParagraphJSON]


def copy_json(article: StoredArticle) -> CopyJSON:
    return {"id": article.id, "doc_id": article.doc_id, "title": article.title, "date": article.date,
            "source": article.source, "url": article.url, "path": article.path}


def article_json(article: StoredArticle, paragraphs: list[Paragraph]) -> ArticleJSON:
    return {"id": article.id, "key": article.key, "doc_id": article.doc_id, "title": article.title,
            "date": article.date, "source": article.source, "url": article.url, "author": article.author,
            "place": article.place, "agency": article.agency,
            "path": article.path, "metadata": article.metadata, "copy_of": article.copy_of,
            "paragraphs": [{"id": p.id, "article_id": p.article_id, "position": p.position, "part": p.part,
                            "text": p.text} for p in paragraphs]}


class StoryCopyJSON(TypedDict):
    id: int
    source: Optional[str]
    url: Optional[str]
    date: Optional[str]


class StoryArticleJSON(CopyJSON):
    first_report: bool
    day: Optional[int]  # days after the first report
    follows: Optional[int]  # the earlier article of the story it was linked to
    likeness: float  # to that article
    lead: Optional[str]  # its first paragraph
    also_published_by: list[StoryCopyJSON]


class StoryJSON(TypedDict):
    story_id: int  # the id of its first article
    size: int
    sources: list[str]
    first_date: Optional[str]
    last_date: Optional[str]
    articles: list[StoryArticleJSON]  # in time order


class SimilarJSON(CopyJSON):
    rank: int
    likeness: float  # cosine of the article vectors
    story_id: Optional[int]
    story_size: int
