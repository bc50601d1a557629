"""Reading and validating the curated annotation files (``loader/annotations/*.yaml``).

The annotation files hold what the policy says, as reviewable data: relations among actors,
norms (duties, permissions, recommendations) with their numeric constraints and dates, named
practices, a few named individuals, the numbers that are deliberately not norms, and background
facts from other regulations. Their format is documented in ``loader/annotations/README.md``.

This module only reads and checks the files against the closed vocabulary (``PKG``): every
field present and of the right shape, every term defined by the ontology, every reference to a
practice or entity declared. Anchoring the quotes in the document text (and refusing quotes
that are absent or ambiguous) happens in :mod:`policykg.loader.statements`, which has the
parsed document. Every problem raises :class:`AnnotationError`, naming the file, the statement
and the quote, so ``policykg build`` prints it and exits non-zero.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path

import yaml

from policykg.loader.annotation_records import (AnnotationError, BackgroundEntity, Constraint, DateSpec, DurationSpec,
                                                 Relation, NormSpec, Statement, Group, Practice, Entity,
                                                 NotNorm, LexicalWord, BackgroundFact, Annotations)
from policykg.ontology.namespaces import PKG

ANNOTATIONS_DIR = Path(__file__).resolve().parent / "annotations"

MODALITIES = ("StrictObligation", "Obligation", "ObligationInPrinciple", "Recommendation",
              "Permission", "Prohibition")
OPERATORS = {"eq": "eq", "neq": "neq", "gt": "gt", "gteq": "gteq", "lt": "lt", "lteq": "lteq",
             "approximately": "approximately"}
# Prefixes of references to things minted from the base rather than defined by the ontology.
THING_KINDS = ("practice", "task", "agent", "event")
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

STATEMENT_KEYS = {"id", "clause", "quote", "label_zh", "label_en", "note", "relation", "norm",
                  "about", "modality", "marker", "conditions", "practices", "reading", "named", "scope",
                  "not_named"}
NORM_KEYS = {"bearer", "action", "object", "topic", "modality", "marker", "constraints",
             "conditions", "start", "deadline", "duration"}
RELATION_KEYS = {"subject", "predicate", "object"}
CONSTRAINT_KEYS = {"left", "op", "value", "unit", "period", "basis", "text"}
DATE_KEYS = {"year", "date", "text"}
DURATION_KEYS = {"years", "months", "days", "approximately", "text"}
PRACTICE_KEYS = {"slug", "type", "label_zh", "label_en", "clause", "quote", "definition_zh",
                 "definition_en"}
ENTITY_KEYS = {"id", "type", "label_zh", "label_en", "alt_zh", "clause", "quote", "part_of"}
NOT_NORM_KEYS = {"clause", "quote", "kind", "reason"}
WORD_KEYS = {"word", "reason"}
GROUP_KEYS = {"id", "clause", "quote", "label_zh", "label_en", "members", "note"}
BACKGROUND_KEYS = {"id", "relation", "label_zh", "label_en", "source", "note"}
BACKGROUND_ENTITY_KEYS = {"id", "type", "label_zh", "label_en"}
# Predicates of background facts besides the ontology's own: standard ones (a district replaced by
# the one it was merged into is dcterms:isReplacedBy).
BACKGROUND_PREDICATES = ("rdfs:subClassOf", "dcterms:isReplacedBy")
SOURCE_KEYS = {"title_zh", "title_en", "edition", "article", "quote_zh"}


# ---------------------------------------------------------------------------------------------
# field checks


class _Ctx:
    """Where we are, for error messages."""

    def __init__(self, file: Path, item: str | None = None, quote: str | None = None):
        self.file, self.item, self.quote = file, item, quote

    def fail(self, problem: str) -> AnnotationError:
        return AnnotationError(self.file, self.item, problem, self.quote)


def _keys(ctx: _Ctx, data, allowed: set[str], required: set[str], what: str) -> dict:
    if not isinstance(data, dict):
        raise ctx.fail(f"{what} must be a mapping, not {type(data).__name__}")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ctx.fail(f"unknown field(s) {', '.join(map(str, unknown))} in {what} "
                       f"(allowed: {', '.join(sorted(allowed))}; an unquoted comma in a "
                       "{flow mapping} also splits a value into a new field)")
    missing = sorted(k for k in required if data.get(k) in (None, "", []))
    if missing:
        raise ctx.fail(f"missing field(s) {', '.join(missing)} in {what}")
    return data


def _text(ctx: _Ctx, data: dict, key: str, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise ctx.fail(f"missing field {key}")
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise ctx.fail(f"field {key} must be a non-empty string")
    return value


def _list(ctx: _Ctx, value, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, str) or not item:
            raise ctx.fail(f"field {key} must be a term or a list of terms, got {item!r}")
    return tuple(items)


def pkg_term(name: str) -> bool:
    """True if ``name`` is a term of the closed PKG namespace."""
    try:
        PKG[name]
    except (AttributeError, KeyError):
        return False
    return True


def _term(ctx: _Ctx, name: str, role: str, prefix: str | None = None, things: bool = False,
          known_things: set[str] | None = None) -> str:
    """Check one term reference: a PKG local name, or (if allowed) practice:/task:/agent: slug."""
    if things and ":" in name:
        kind = name.split(":", 1)[0]
        if kind not in THING_KINDS:
            raise ctx.fail(f"{role} {name!r}: unknown prefix {kind!r} (use a pkg term, or "
                           f"{', '.join(k + ':slug' for k in THING_KINDS)})")
        if known_things is not None and name not in known_things:
            raise ctx.fail(f"{role} {name!r} is not declared in practices.yaml or entities.yaml")
        return name
    if prefix and not name.startswith(prefix):
        raise ctx.fail(f"{role} {name!r} must be a {prefix}… concept of the ontology")
    if not pkg_term(name):
        raise ctx.fail(f"unknown term {name!r} for {role}: not defined in the ontology (pkg:)")
    return name


def _decimal(ctx: _Ctx, value) -> tuple[Decimal, str | None]:
    if isinstance(value, bool) or value is None:
        raise ctx.fail(f"constraint value must be a number, got {value!r}")
    if isinstance(value, str) and "/" in value:
        try:
            frac = Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            raise ctx.fail(f"constraint value {value!r} is not a number or fraction") from None
        return (Decimal(frac.numerator) / Decimal(frac.denominator)).quantize(Decimal("0.000001")), value.strip()
    try:
        return Decimal(str(value)), None
    except InvalidOperation:
        raise ctx.fail(f"constraint value {value!r} is not a number") from None


def _constraints(ctx: _Ctx, value, key: str) -> tuple[Constraint, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ctx.fail(f"{key} must be a list of constraints")
    out = []
    for raw in value:
        data = _keys(ctx, raw, CONSTRAINT_KEYS, {"left", "op", "value", "unit", "text"}, f"a {key} entry")
        op = data["op"]
        if op not in OPERATORS:
            raise ctx.fail(f"unknown operator {op!r} (use one of {', '.join(OPERATORS)})")
        number, fraction = _decimal(ctx, data["value"])
        out.append(Constraint(
            left=_term(ctx, data["left"], "constraint left operand", "leftOperand"),
            op=op, value=number, fraction=fraction,
            unit=_term(ctx, data["unit"], "constraint unit", "unit"),
            text=_text(ctx, data, "text"),
            period=_term(ctx, data["period"], "constraint period", "period") if data.get("period") else None,
            basis=_term(ctx, data["basis"], "constraint basis") if data.get("basis") else None,
        ))
    return tuple(out)


def _date(ctx: _Ctx, value, key: str) -> DateSpec | None:
    if value is None:
        return None
    data = _keys(ctx, value, DATE_KEYS, {"text"}, key)
    year, date = data.get("year"), data.get("date")
    if year is None and date is None:
        raise ctx.fail(f"{key} needs a year or a date")
    if year is not None and not (isinstance(year, int) and 1900 <= year <= 2100):
        raise ctx.fail(f"{key} year must be a four-digit year, got {year!r}")
    if date is not None:
        date = str(date)
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
            raise ctx.fail(f"{key} date must be YYYY-MM-DD, got {date!r}")
    return DateSpec(text=_text(ctx, data, "text"), year=year, date=date)


def _duration(ctx: _Ctx, value) -> DurationSpec | None:
    if value is None:
        return None
    data = _keys(ctx, value, DURATION_KEYS, {"text"}, "duration")
    parts = {k: data.get(k) for k in ("years", "months", "days")}
    if not any(isinstance(v, int) and v > 0 for v in parts.values()):
        raise ctx.fail("duration needs a positive years, months or days")
    return DurationSpec(text=_text(ctx, data, "text"), approximately=bool(data.get("approximately")), **parts)


def _relation(ctx: _Ctx, raw, known_things: set[str]) -> list[Relation]:
    data = _keys(ctx, raw, RELATION_KEYS, RELATION_KEYS, "relation")
    predicate = _term(ctx, data["predicate"], "relation predicate")
    subjects = [_term(ctx, s, "relation subject", things=True, known_things=known_things)
                for s in _list(ctx, data["subject"], "subject")]
    objects = [_term(ctx, o, "relation object", things=True, known_things=known_things)
               for o in _list(ctx, data["object"], "object")]
    return [Relation(s, predicate, o) for s in subjects for o in objects]


def _named(ctx: _Ctx, value, known_things: set[str]) -> tuple[tuple[str, str], ...]:
    """``named: {Term: words}``: the words of the quote that name a term none of whose labels is
    in the quote (e.g. 县级市、区财政 names the county-level city's finance department)."""
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise ctx.fail("named must be a mapping {term: words of the quote}")
    out = []
    for term, words in value.items():
        _term(ctx, str(term), "named term", things=True, known_things=known_things)
        if not isinstance(words, str) or not words or words not in (ctx.quote or ""):
            raise ctx.fail(f"named: the words {words!r} given for {term} are not in the quote")
        out.append((str(term), words))
    return tuple(out)


def _modality(ctx: _Ctx, value, required: bool) -> str | None:
    if value is None:
        if required:
            raise ctx.fail("missing field modality")
        return None
    if value not in MODALITIES:
        raise ctx.fail(f"unknown modality {value!r} (use one of {', '.join(MODALITIES)})")
    return _term(ctx, value, "modality")


def _slug_of(ref: str) -> str:
    name = ref.split(":", 1)[1] if ":" in ref else ref
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name).lower()


# ---------------------------------------------------------------------------------------------
# files


def _load_yaml(path: Path):
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise AnnotationError(path, None, f"not valid YAML: {exc}") from None
    except OSError as exc:
        raise AnnotationError(path, None, f"cannot read the file: {exc}") from None


def _statements(path: Path, data, known_things: set[str]) -> list[Statement]:
    if not isinstance(data, dict) or not isinstance(data.get("statements"), list):
        raise AnnotationError(path, None, "expected a mapping with a 'statements' list")
    unknown = set(data) - {"part", "statements", "groups"}
    if unknown:
        raise AnnotationError(path, None, f"unknown top-level field(s) {', '.join(sorted(unknown))}")
    out: list[Statement] = []
    for index, raw in enumerate(data["statements"], 1):
        sid = raw.get("id") if isinstance(raw, dict) else None
        ctx = _Ctx(path, sid or f"#{index} (no id)", raw.get("quote") if isinstance(raw, dict) else None)
        _keys(ctx, raw, STATEMENT_KEYS, {"id", "clause", "quote", "label_zh", "label_en"}, "a statement")
        if not isinstance(sid, str) or not ID_RE.match(sid):
            raise ctx.fail(f"statement id {sid!r} must be a lower-case slug (a-z, 0-9, hyphens)")
        kinds = [k for k in ("relation", "norm", "about") if k in raw]
        if len(kinds) != 1:
            raise ctx.fail("a statement has exactly one of relation, norm or about")
        kind = kinds[0]
        common = dict(file=path, clause=_text(ctx, raw, "clause"), quote=_text(ctx, raw, "quote"),
                      label_zh=_text(ctx, raw, "label_zh"), label_en=_text(ctx, raw, "label_en"),
                      note=_text(ctx, raw, "note", required=False),
                      reading=_text(ctx, raw, "reading", required=False),
                      named=_named(ctx, raw.get("named"), known_things),
                      scope=_list(ctx, raw.get("scope"), "scope"),
                      not_named=tuple(_term(ctx, t, "not_named term", things=True, known_things=known_things)
                                      for t in _list(ctx, raw.get("not_named"), "not_named")))
        if common["not_named"] and not (common["reading"] or common["note"]):
            raise ctx.fail("not_named needs the reason of the reading in `reading:` (or `note:`)")
        practices = tuple(_term(ctx, p, "practice", things=True, known_things=known_things)
                          for p in _list(ctx, raw.get("practices"), "practices"))
        if kind == "relation":
            relations = _relation(ctx, raw["relation"], known_things)
            modality = _modality(ctx, raw.get("modality"), required=False)
            marker = _text(ctx, raw, "marker", required=False)
            if marker and not modality:
                raise ctx.fail("a marker needs a modality")
            conditions = _constraints(ctx, raw.get("conditions"), "conditions")
            for rel in relations:
                many = len(relations) > 1
                suffix = ""
                if many:
                    subjects = {r.subject for r in relations}
                    suffix = "-" + (_slug_of(rel.object) if len(subjects) == 1 else
                                    _slug_of(rel.subject) if len({r.object for r in relations}) == 1 else
                                    _slug_of(rel.subject) + "-" + _slug_of(rel.object))
                out.append(Statement(id=sid + suffix, kind=kind, relation=rel, modality=modality,
                                     marker=marker, conditions=conditions, practices=practices, **common))
        elif kind == "norm":
            if "modality" in raw or "marker" in raw or "conditions" in raw:
                raise ctx.fail("for a norm, put modality, marker and conditions inside norm:")
            n = _keys(ctx, raw["norm"], NORM_KEYS, {"modality"}, "norm")
            bearer = tuple(_term(ctx, b, "norm bearer", things=True, known_things=known_things)
                           for b in _list(ctx, n.get("bearer"), "bearer"))
            objects = tuple(_term(ctx, o, "norm object", things=True, known_things=known_things)
                            for o in _list(ctx, n.get("object"), "object"))
            topics = tuple(_term(ctx, t, "norm topic", "topic") for t in _list(ctx, n.get("topic"), "topic"))
            if not topics:
                raise ctx.fail("a norm needs at least one topic")
            action = _term(ctx, n["action"], "norm action", "action") if n.get("action") else None
            spec = NormSpec(bearer=bearer, action=action, objects=objects, topics=topics,
                            constraints=_constraints(ctx, n.get("constraints"), "constraints"),
                            conditions=_constraints(ctx, n.get("conditions"), "conditions"),
                            start=_date(ctx, n.get("start"), "start"),
                            deadline=_date(ctx, n.get("deadline"), "deadline"),
                            duration=_duration(ctx, n.get("duration")))
            out.append(Statement(id=sid, kind=kind, norm=spec,
                                 modality=_modality(ctx, n.get("modality"), required=True),
                                 marker=_text(ctx, n, "marker", required=False),
                                 practices=practices, **common))
        else:
            about = tuple(_term(ctx, a, "about", things=True, known_things=known_things)
                          for a in _list(ctx, raw["about"], "about"))
            if not about:
                raise ctx.fail("about needs at least one term")
            out.append(Statement(id=sid, kind=kind, about=about, practices=practices, **common))
    return out


def _groups(path: Path, data) -> list[Group]:
    out = []
    for index, raw in enumerate(data.get("groups") or [], 1):
        gid = raw.get("id") if isinstance(raw, dict) else None
        ctx = _Ctx(path, gid or f"group #{index}", raw.get("quote") if isinstance(raw, dict) else None)
        _keys(ctx, raw, GROUP_KEYS, GROUP_KEYS - {"note"}, "a group")
        if not ID_RE.match(str(gid)):
            raise ctx.fail(f"group id {gid!r} must be a lower-case slug")
        members = _list(ctx, raw["members"], "members")
        if len(members) < 2:
            raise ctx.fail("a group lists at least two members")
        out.append(Group(id=gid, file=path, clause=_text(ctx, raw, "clause"), quote=_text(ctx, raw, "quote"),
                         label_zh=_text(ctx, raw, "label_zh"), label_en=_text(ctx, raw, "label_en"),
                         members=members, note=_text(ctx, raw, "note", required=False)))
    return out


def _practices(path: Path, data) -> list[Practice]:
    if not isinstance(data, dict) or not isinstance(data.get("practices"), list):
        raise AnnotationError(path, None, "expected a mapping with a 'practices' list")
    out = []
    for index, raw in enumerate(data["practices"], 1):
        slug = raw.get("slug") if isinstance(raw, dict) else None
        ctx = _Ctx(path, f"practice:{slug}" if slug else f"#{index}", raw.get("quote") if isinstance(raw, dict) else None)
        _keys(ctx, raw, PRACTICE_KEYS, {"slug", "label_zh", "label_en", "clause", "quote"}, "a practice")
        if not ID_RE.match(str(slug)):
            raise ctx.fail(f"practice slug {slug!r} must be a lower-case slug")
        ptype = raw.get("type", "Practice")
        if ptype not in ("Practice", "CoordinationMechanism"):
            raise ctx.fail(f"practice type must be Practice or CoordinationMechanism, got {ptype!r}")
        _term(ctx, ptype, "practice type")
        out.append(Practice(slug=slug, file=path, type=ptype, label_zh=_text(ctx, raw, "label_zh"),
                            label_en=_text(ctx, raw, "label_en"), clause=_text(ctx, raw, "clause"),
                            quote=_text(ctx, raw, "quote"),
                            definition_zh=_text(ctx, raw, "definition_zh", required=False),
                            definition_en=_text(ctx, raw, "definition_en", required=False)))
    return out


def _entities(path: Path, data) -> list[Entity]:
    if not isinstance(data, dict) or not isinstance(data.get("entities"), list):
        raise AnnotationError(path, None, "expected a mapping with an 'entities' list")
    out = []
    for index, raw in enumerate(data["entities"], 1):
        eid = raw.get("id") if isinstance(raw, dict) else None
        ctx = _Ctx(path, eid or f"#{index}", raw.get("quote") if isinstance(raw, dict) else None)
        _keys(ctx, raw, ENTITY_KEYS, {"id", "type", "label_zh", "label_en", "clause", "quote"}, "an entity")
        kind, _, slug = str(eid).partition(":")
        if kind not in ("task", "agent", "event") or not ID_RE.match(slug):
            raise ctx.fail(f"entity id {eid!r} must be task:slug, agent:slug or event:slug")
        out.append(Entity(id=eid, file=path, type=_term(ctx, raw["type"], "entity type"),
                          label_zh=_text(ctx, raw, "label_zh"), label_en=_text(ctx, raw, "label_en"),
                          clause=_text(ctx, raw, "clause"), quote=_text(ctx, raw, "quote"),
                          part_of=_text(ctx, raw, "part_of", required=False),
                          alt_zh=_list(ctx, raw.get("alt_zh"), "alt_zh")))
    ids = {e.id for e in out}
    for e in out:
        if e.part_of and e.part_of not in ids:
            raise AnnotationError(path, e.id, f"part_of {e.part_of!r} is not a declared entity")
    return out


def _not_norms(path: Path, data) -> tuple[list[NotNorm], list[LexicalWord]]:
    if not isinstance(data, dict):
        raise AnnotationError(path, None, "expected a mapping with 'numbers' and 'words' lists")
    numbers, words = [], []
    for raw in data.get("numbers") or []:
        ctx = _Ctx(path, "not-a-norm", raw.get("quote") if isinstance(raw, dict) else None)
        _keys(ctx, raw, NOT_NORM_KEYS, {"quote", "kind", "reason"}, "a numbers entry")
        numbers.append(NotNorm(quote=_text(ctx, raw, "quote"), kind=_text(ctx, raw, "kind"),
                               reason=_text(ctx, raw, "reason"), clause=_text(ctx, raw, "clause", required=False),
                               file=path))
    for raw in data.get("words") or []:
        ctx = _Ctx(path, "word", None)
        _keys(ctx, raw, WORD_KEYS, WORD_KEYS, "a words entry")
        words.append(LexicalWord(word=_text(ctx, raw, "word"), reason=_text(ctx, raw, "reason")))
    return numbers, words


def _background_entities(path: Path, data) -> list[BackgroundEntity]:
    """The optional ``entities`` list of background.yaml: things the policy does not name."""
    out = []
    for index, raw in enumerate(data.get("entities") or [], 1):
        eid = raw.get("id") if isinstance(raw, dict) else None
        ctx = _Ctx(path, eid or f"#{index}")
        _keys(ctx, raw, BACKGROUND_ENTITY_KEYS, BACKGROUND_ENTITY_KEYS, "a background entity")
        kind, _, slug = str(eid).partition(":")
        if kind != "agent" or not ID_RE.match(slug):
            raise ctx.fail(f"background entity id {eid!r} must be agent:slug")
        out.append(BackgroundEntity(id=eid, type=_term(ctx, raw["type"], "entity type"),
                                    label_zh=_text(ctx, raw, "label_zh"), label_en=_text(ctx, raw, "label_en")))
    return out


def _background(path: Path, data, known_things: set[str]) -> list[BackgroundFact]:
    if not isinstance(data, dict) or not isinstance(data.get("background"), list):
        raise AnnotationError(path, None, "expected a mapping with a 'background' list")
    known_things = known_things | {e.id for e in _background_entities(path, data)}
    out = []
    for index, raw in enumerate(data["background"], 1):
        bid = raw.get("id") if isinstance(raw, dict) else None
        ctx = _Ctx(path, bid or f"#{index}")
        _keys(ctx, raw, BACKGROUND_KEYS, {"id", "relation", "label_zh", "label_en", "source"}, "a background fact")
        if not ID_RE.match(str(bid)):
            raise ctx.fail(f"background id {bid!r} must be a lower-case slug")
        rel = raw["relation"]
        data_rel = _keys(ctx, rel, RELATION_KEYS, RELATION_KEYS, "relation")
        predicate = data_rel["predicate"]
        if predicate not in BACKGROUND_PREDICATES:
            _term(ctx, predicate, "relation predicate")
        relation = Relation(_term(ctx, data_rel["subject"], "subject", things=True, known_things=known_things),
                            predicate,
                            _term(ctx, data_rel["object"], "object", things=True, known_things=known_things))
        source = _keys(ctx, raw["source"], SOURCE_KEYS, SOURCE_KEYS, "source")
        out.append(BackgroundFact(id=bid, file=path, relation=relation, label_zh=_text(ctx, raw, "label_zh"),
                                  label_en=_text(ctx, raw, "label_en"), source=dict(source),
                                  note=_text(ctx, raw, "note", required=False)))
    return out


def load_annotations(folder: Path | str | None = None) -> Annotations:
    """Read and check every annotation file in ``folder`` (the bundled ones by default)."""
    folder = Path(folder) if folder else ANNOTATIONS_DIR
    if not folder.is_dir():
        raise AnnotationError(folder, None, "the annotation folder does not exist")
    result = Annotations()
    special = {"practices.yaml", "entities.yaml", "not-norms.yaml", "background.yaml"}
    if (p := folder / "practices.yaml").exists():
        result.practices = _practices(p, _load_yaml(p))
    if (p := folder / "entities.yaml").exists():
        result.entities = _entities(p, _load_yaml(p))
    known = {p.ref for p in result.practices} | {e.id for e in result.entities}
    for p in sorted(folder.glob("*.yaml")):
        if p.name in special:
            continue
        data = _load_yaml(p)
        result.statements.extend(_statements(p, data, known))
        result.groups.extend(_groups(p, data))
    if (p := folder / "not-norms.yaml").exists():
        result.not_norms, result.words = _not_norms(p, _load_yaml(p))
    if (p := folder / "background.yaml").exists():
        data = _load_yaml(p)
        result.background = _background(p, data, known)
        result.background_entities = _background_entities(p, data)
    seen: dict[str, Path] = {}
    for s in result.statements:
        if s.id in seen:
            raise AnnotationError(s.file, s.id, f"duplicate statement id (also in {seen[s.id].name})", s.quote)
        seen[s.id] = s.file
    for g in result.groups:
        if g.id in seen:
            raise AnnotationError(g.file, g.id, "a group id must differ from every statement id", g.quote)
        for member in g.members:
            if member not in seen:
                raise AnnotationError(g.file, g.id, f"member {member!r} is not a statement id", g.quote)
    slugs = [p.slug for p in result.practices]
    if len(set(slugs)) != len(slugs):
        dup = next(s for s in slugs if slugs.count(s) > 1)
        raise AnnotationError(folder / "practices.yaml", f"practice:{dup}", "duplicate practice slug")
    return result
