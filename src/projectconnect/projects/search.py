"""Full-text search over the tasks (title, description) and projects (name, description) of
the caller's workspaces.

The same query language on both databases: words (all must match, case-insensitive, no
stemming), "quoted phrases", `-word` to exclude, and the last word read as a prefix so that
results follow typing. PostgreSQL matches a stored `search_vector` (a GIN index over the
workspace and the vector) with a `tsquery` and ranks by `ts_rank` (title or name weighted
above the description); SQLite matches its FTS5 table `search_fts` and ranks by `bm25`.
Both start from the caller's memberships (`findable.workspaces_of`), so nobody finds what
they may not see, and highlight only the page they return.

Highlights travel as plain text plus spans: the databases mark them with U+0002/U+0003,
characters the indexed text never holds (left out on SQLite, translated away on
PostgreSQL), and `marked_text` turns that into the text and each span's offsets in UTF-16
code units, what JavaScript's `String.slice` counts.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Integer,
    MetaData,
    Select,
    String,
    Subquery,
    Table,
    Uuid,
    func,
    literal,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import REGCONFIG, TSQUERY, TSVECTOR
from sqlalchemy.ext.asyncio import AsyncSession

from projectconnect.infra.db import Database
from projectconnect.infra.problems import field_error
from projectconnect.projects.access import Access, Action
from projectconnect.projects.findable import Kind, in_sight, task_in_sight, workspaces_of
from projectconnect.projects.models import Project, Task
from projectconnect.projects.repository import is_postgres

MIN_QUERY_CHARS = 2
MAX_QUERY_CHARS = 200
MAX_TERMS = 16
# Ranked results page by offset; past this many, refining the words beats paging.
MAX_RESULTS = 1000
START, STOP = "\x02", "\x03"

# Schema the migrations keep outside the models (see migrations 0008 and 0009).
SEARCH_SCHEMA = frozenset(
    {
        "search_docs",
        "search_fts",
        "search_fts_data",
        "search_fts_idx",
        "search_fts_content",
        "search_fts_docsize",
        "search_fts_config",
        "search_vector",
        "ix_tasks_workspace_search",
        "ix_projects_workspace_search",
    }
)

_SQLITE = MetaData()
SEARCH_DOCS = Table(
    "search_docs",
    _SQLITE,
    Column("doc", Integer, primary_key=True),
    Column("kind", String(8)),
    Column("item_id", Uuid),
)
SEARCH_FTS = Table("search_fts", _SQLITE, Column("rowid", Integer), Column("title", String))

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class Term:
    words: tuple[str, ...]  # one word, or a phrase
    prefix: bool = False
    excluded: bool = False


def parse_query(q: str) -> list[Term]:
    """The terms of a query; 422 naming `q` when it has too little to search for."""
    text = q.strip()
    if len(text) < MIN_QUERY_CHARS:
        raise field_error("q", "too_short", f"Type at least {MIN_QUERY_CHARS} characters.")
    terms: list[Term] = []
    for match in _TOKEN.finditer(text):
        if match.group(2) is not None:  # a phrase
            words = tuple(w.lower() for w in _WORD.findall(match.group(2)))
            if words:
                terms.append(Term(words, excluded=match.group(1) == "-"))
            continue
        words = tuple(w.lower() for w in _WORD.findall(match.group(4)))
        excluded = match.group(3) == "-"
        terms.extend(Term((w,), excluded=excluded) for w in words)
    terms = terms[:MAX_TERMS]
    if not any(not t.excluded for t in terms):
        raise field_error("q", "no_words", "Type a word to search for.")
    last = terms[-1]
    typing = not q[-1].isspace() and not text.endswith('"')
    if typing and len(last.words) == 1 and not last.excluded:
        terms[-1] = Term(last.words, prefix=True)
    return terms


def fts5_query(terms: Sequence[Term]) -> str:
    """The FTS5 query: every word quoted (no operator can be injected), prefixes starred."""

    def quoted(term: Term) -> str:
        return '"' + " ".join(term.words) + '"' + ("*" if term.prefix else "")

    wanted = " AND ".join(quoted(t) for t in terms if not t.excluded)
    return wanted + "".join(f" NOT {quoted(t)}" for t in terms if t.excluded)


_CONFIG = literal("simple", REGCONFIG)


def tsquery(terms: Sequence[Term]) -> ColumnElement[Any]:
    """The tsquery, built from bound words: a prefix's lexeme is quoted, so none is an operator."""
    query: ColumnElement[Any] | None = None
    for term in terms:
        if term.prefix:
            part = func.to_tsquery(_CONFIG, literal(f"'{term.words[0]}':*"), type_=TSQUERY)
        else:
            part = func.phraseto_tsquery(_CONFIG, literal(" ".join(term.words)), type_=TSQUERY)
        if term.excluded:
            part = func.tsquery_not(part, type_=TSQUERY)
        query = part if query is None else func.tsquery_and(query, part, type_=TSQUERY)
    assert query is not None  # parse_query keeps at least one term
    return query


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def marked_text(marked: str) -> tuple[str, list[Span]]:
    """Text marked with START/STOP as the plain text and the spans that were marked, in
    UTF-16 code units; adjacent spans are merged."""
    plain: list[str] = []
    spans: list[Span] = []
    at = 0
    opened: int | None = None
    for piece in re.split(f"([{START}{STOP}])", marked):
        if piece == START:
            opened = at if opened is None else opened
        elif piece == STOP:
            if opened is not None and at > opened:
                if spans and spans[-1].end == opened:
                    spans[-1] = Span(spans[-1].start, at)
                else:
                    spans.append(Span(opened, at))
            opened = None
        else:
            plain.append(piece)
            at += _utf16(piece)
    if opened is not None and at > opened:
        spans.append(Span(opened, at))
    return "".join(plain), spans


def encode_offset(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).rstrip(b"=").decode()


def decode_offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        name, value = raw.split(":", 1)
        offset = int(value)
        if name != "offset" or not 0 < offset < MAX_RESULTS:
            raise ValueError(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise field_error(
            "cursor", "cursor_invalid", "Use next_cursor from a previous page."
        ) from exc
    return offset


@dataclass(frozen=True, slots=True)
class Hit:
    kind: Kind
    id: uuid.UUID
    project_id: uuid.UUID
    workspace_id: uuid.UUID
    project_name: str
    status: str | None
    title: str
    title_highlights: list[Span]
    snippet: str | None
    snippet_highlights: list[Span]


@dataclass(frozen=True, slots=True)
class Results:
    items: list[Hit]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class _Row:
    """A hit as the ranking statement returns it, before highlighting."""

    kind: Kind
    id: uuid.UUID
    project_id: uuid.UUID
    workspace_id: uuid.UUID
    project_name: str
    status: str | None
    doc: int | None


# What a hit's ranking statement returns; the project's name is read for the page only.
def _task_columns() -> list[ColumnElement[Any]]:
    return [
        literal_column("'task'").label("kind"),
        Task.id.label("id"),
        Task.project_id.label("project_id"),
        Task.workspace_id.label("workspace_id"),
        Task.status.label("status"),
    ]


def _project_columns() -> list[ColumnElement[Any]]:
    return [
        literal_column("'project'").label("kind"),
        Project.id.label("id"),
        Project.id.label("project_id"),
        Project.workspace_id.label("workspace_id"),
        null().label("status"),
    ]


TITLE_WEIGHT_SQLITE = 4.0
TITLE_OPTIONS = f"HighlightAll=true, StartSel={START}, StopSel={STOP}"
SNIPPET_OPTIONS = (
    f'MaxFragments=2, MaxWords=24, MinWords=8, FragmentDelimiter=" … ", '
    f"StartSel={START}, StopSel={STOP}"
)
SNIPPET_TOKENS_SQLITE = 24


class PostgresFinder:
    """Ranks with `ts_rank` over the stored vectors; highlights with `ts_headline`.

    Only whole words and phrases that must match go through the GIN index, with the
    workspace. A prefix is checked on the rows found instead: GIN answers a partial match by
    collecting every entry of every matching lexeme, across all workspaces (a common prefix at
    10 000 000 tasks took 0.2 s per workspace), while what the caller can see stays small. An
    excluded word is checked there too, since alone it would have GIN read everything.
    """

    def __init__(self, session: AsyncSession, terms: Sequence[Term]) -> None:
        self.session = session
        self.query = tsquery(terms)
        wanted = [t for t in terms if not t.prefix and not t.excluded]
        checked = [t for t in terms if t.prefix or t.excluded]
        self.indexed = tsquery(wanted) if wanted else None
        self.checked = tsquery(checked) if checked else None

    def hits(self, kind: Kind, mine: Any) -> Select[Any]:
        table = "tasks" if kind == "task" else "projects"
        vector = literal_column(f"{table}.search_vector", TSVECTOR)
        columns = _task_columns() if kind == "task" else _project_columns()
        rank = func.ts_rank(vector, self.query, 1).label("rank")
        statement = select(*columns, null().label("doc"), rank).select_from(mine)
        # Each table's GIN index leads with the workspace: matched per workspace of the
        # caller's, the words others' workspaces hold are never read. A task's project is
        # not joined: a common word matches thousands of tasks, and looking up each one's
        # project cost more than the match (`task_in_sight`).
        if kind == "task":
            statement = statement.join(Task, Task.workspace_id == mine.c.workspace_id)
            conditions = [task_in_sight(mine)]
        else:
            statement = statement.join(Project, Project.workspace_id == mine.c.workspace_id)
            conditions = [in_sight(kind)]
        if self.indexed is not None:
            conditions.append(vector.op("@@")(self.indexed))
        if self.checked is not None:
            # The function behind `@@`, which no index answers: a filter on the rows found.
            conditions.append(func.ts_match_vq(vector, self.checked, type_=Boolean))
        return statement.where(*conditions)

    def _headline(self, text: Any, options: str) -> ColumnElement[str]:
        clean = func.translate(text, START + STOP, "")
        return func.ts_headline(_CONFIG, clean, self.query, literal(options))

    async def marked(self, rows: Sequence[_Row]) -> dict[uuid.UUID, tuple[str, str | None]]:
        """Each hit's title and description snippet, marked."""
        found: dict[uuid.UUID, tuple[str, str | None]] = {}
        for model, title in ((Task, Task.title), (Project, Project.name)):
            ids = [r.id for r in rows if (r.kind == "task") is (model is Task)]
            if not ids:
                continue
            described = func.nullif(model.description, "")
            statement = select(
                model.id,
                self._headline(title, TITLE_OPTIONS),
                self._headline(described, SNIPPET_OPTIONS),
            ).where(model.id.in_(ids))
            for item_id, marked_title, marked_snippet in await self.session.execute(statement):
                found[item_id] = (marked_title, marked_snippet)
        return found


class SqliteFinder:
    """Ranks with FTS5's `bm25`; highlights with `highlight()` and `snippet()`."""

    def __init__(self, session: AsyncSession, terms: Sequence[Term]) -> None:
        self.session = session
        self.query = fts5_query(terms)
        self._fts: ColumnElement[Any] = literal_column("search_fts")
        self._matches = (
            select(
                SEARCH_FTS.c.rowid.label("doc"),
                (-func.bm25(self._fts, TITLE_WEIGHT_SQLITE, 1.0)).label("rank"),
            )
            .where(self._fts.op("MATCH")(literal(self.query)))
            .cte("matches")
        )

    def hits(self, kind: Kind, mine: Any) -> Select[Any]:
        matches = self._matches
        columns = _task_columns() if kind == "task" else _project_columns()
        statement = (
            select(*columns, matches.c.doc, matches.c.rank)
            .select_from(matches)
            .join(SEARCH_DOCS, SEARCH_DOCS.c.doc == matches.c.doc)
        )
        if kind == "task":
            statement = statement.join(Task, Task.id == SEARCH_DOCS.c.item_id).join(
                Project, Project.id == Task.project_id
            )
        else:
            statement = statement.join(Project, Project.id == SEARCH_DOCS.c.item_id)
        statement = statement.join(mine, mine.c.workspace_id == Project.workspace_id)
        return statement.where(SEARCH_DOCS.c.kind == kind, in_sight(kind))

    async def marked(self, rows: Sequence[_Row]) -> dict[uuid.UUID, tuple[str, str | None]]:
        by_doc = {r.doc: r.id for r in rows if r.doc is not None}
        if not by_doc:
            return {}
        statement = select(
            SEARCH_FTS.c.rowid,
            func.highlight(self._fts, 0, START, STOP),
            func.snippet(self._fts, 1, START, STOP, "…", SNIPPET_TOKENS_SQLITE),
        ).where(self._fts.op("MATCH")(literal(self.query)), SEARCH_FTS.c.rowid.in_(list(by_doc)))
        found: dict[uuid.UUID, tuple[str, str | None]] = {}
        for doc, marked_title, marked_snippet in await self.session.execute(statement):
            found[by_doc[doc]] = (marked_title, marked_snippet or None)
        return found


class SearchService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def search(
        self,
        user_id: uuid.UUID,
        q: str,
        limit: int,
        cursor: str | None = None,
        workspace: str | None = None,
        kind: Kind | None = None,
    ) -> Results:
        """The caller's best matches, best first: tasks and projects (or one `kind`), of
        every workspace of theirs or only `workspace` (404 unless they are a member)."""
        terms = parse_query(q)
        offset = decode_offset(cursor)
        async with self.db.reading() as session:
            workspace_id = None
            if workspace is not None:
                _, grant = await Access(session, user_id).workspace(workspace, Action.READ)
                workspace_id = grant.workspace_id
            finder: PostgresFinder | SqliteFinder = (
                PostgresFinder(session, terms)
                if is_postgres(session)
                else SqliteFinder(session, terms)
            )
            mine = workspaces_of(user_id, workspace_id).subquery("mine")
            kinds: tuple[Kind, ...] = (kind,) if kind is not None else ("task", "project")
            ranked = union_all(*(finder.hits(k, mine) for k in kinds)).subquery("ranked")
            page = (
                select(ranked)
                .order_by(*_best_first(ranked))
                .offset(offset)
                .limit(min(limit, MAX_RESULTS - offset) + 1)
                .subquery("page")
            )
            # The project's name only for the page's hits.
            statement = (
                select(page, Project.name.label("project_name"))
                .join(Project, Project.id == page.c.project_id)
                .order_by(*_best_first(page))
            )
            rows = [
                _Row(r.kind, r.id, r.project_id, r.workspace_id, r.project_name, r.status, r.doc)
                for r in await session.execute(statement)
            ]
            more = len(rows) > limit and offset + limit < MAX_RESULTS
            rows = rows[:limit]
            marked = await finder.marked(rows)
        items = [_hit(row, *marked[row.id]) for row in rows if row.id in marked]
        return Results(items, encode_offset(offset + limit) if more else None)


def _best_first(hits: Subquery) -> tuple[ColumnElement[Any], ...]:
    """The order of results: best rank, then tasks before projects, then by id."""
    return (hits.c.rank.desc(), hits.c.kind.desc(), hits.c.id)


def _hit(row: _Row, marked_title: str, marked_snippet: str | None) -> Hit:
    title, title_spans = marked_text(marked_title)
    snippet, snippet_spans = marked_text(marked_snippet) if marked_snippet else (None, [])
    return Hit(
        kind=row.kind,
        id=row.id,
        project_id=row.project_id,
        workspace_id=row.workspace_id,
        project_name=row.project_name,
        status=row.status,
        title=title,
        title_highlights=title_spans,
        snippet=snippet or None,
        snippet_highlights=snippet_spans if snippet else [],
    )
