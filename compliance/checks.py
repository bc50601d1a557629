"""Checks generated from the norms' typed constraints, as SPARQL.

For every norm with typed constraints (:mod:`.norms`) this module works out, with no knowledge of
any particular norm:

- the quantity each constraint speaks of, from its left operand, unit, period and basis, and the
  register column(s) measuring it (:mod:`.columns`): a count or an age is one column; an amount per
  head divides the amount by the count of the basis; a floor-area share divides the area of the
  norm's object by the area of the basis (×100 for a percentage); a pay ratio divides the pay by the
  average wage of the constraint's period; a frequency or a number of days is the column for the
  norm's action and period;
- which rows it applies to: the row classes its bearers, objects and bases name (a post, or a class
  a yes/no column decides, e.g. 集中安置居住区); a norm for a broader class gives way to a norm on
  the same action and quantities for a narrower one (其他社区工作者 vs 书记、主任、站长);
- when it applies: 自…起 (start year) and 到…年 (deadline year) against the register's 年度;
- its severity, from the modality;
- or, when no column measures what it needs, why it is not checkable from a register.

Each check becomes a SPARQL expression giving the row's outcome — ``met``, ``not_met``,
``not_applicable`` or ``unknown`` — in the order: applies to this kind of row? (else not
applicable); a deciding yes/no value missing? (unknown); in force in the register's year?;
every value its conditions need present? (else unknown); conditions hold? (else not applicable);
every value the standard needs present and every divisor non-zero? (else unknown); standard met?
A missing value therefore gives ``unknown``, never ``met``. Comparisons are exact: a ratio is
compared by cross-multiplication in xsd:decimal (no rounding at 3% or 1.2×), and ``=`` is read
at the precision the text gives the number (按0.5% → within ±0.05 percentage points).

:func:`register_query` joins the checks of one register into one SELECT (one pass over the rows:
what runs on the store for large registers); :func:`check_query` is one norm's check on its own,
for any SPARQL 1.1 engine; :mod:`.shapes` wraps the same expressions in SHACL-SPARQL constraints.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from policykg.compliance.columns import (COMMUNITIES, POSTS, ROW_CLASS, WORKERS, Column, column_for,
                                         find_measure, register_columns)
from policykg.compliance.norms import Constraint, Norm, PolicyNorms
from policykg.ontology.namespaces import ORG, PKG_URI, REG

MET, NOT_MET, NOT_APPLICABLE, UNKNOWN = "met", "not_met", "not_applicable", "unknown"
STATUSES = (MET, NOT_MET, NOT_APPLICABLE, UNKNOWN)

# Severity from the modality (docs/compliance.md): 必须/均须/要/应 → violation, 原则上 → warning,
# 鼓励/提倡 → information, 可以 → eligibility.
SEVERITY = {"StrictObligation": "violation", "Obligation": "violation", "ObligationInPrinciple": "warning",
            "Recommendation": "info", "Permission": "eligibility"}

# Units that are amounts per head (元/人·年, 元/党员·年): the amount is divided by the count of the basis.
PER_HEAD_UNITS = {"unitYuanPerPersonYear", "unitYuanPerMemberYear"}
# Left operands that are one value of the row (a count or an age).
ROW_VALUES = {"leftOperandHouseholdCount", "leftOperandPopulation", "leftOperandPartyMemberCount",
              "leftOperandFormalPartyMemberCount", "leftOperandAge"}
SHARE_SCALE = {"unitPercent": Decimal(100), "unitFraction": Decimal(1)}

XSD = "http://www.w3.org/2001/XMLSchema#"
COMPARATORS = {"gteq": ">=", "gt": ">", "lteq": "<=", "lt": "<"}
COMPARATOR_WORDS = {"gteq": "不低于", "gt": "超过", "lteq": "不超过", "lt": "少于", "eq": "等于", "neq": "不等于"}


class NotCheckable(Exception):
    """A norm no register column can feed; the message says why (Chinese, then English)."""


@dataclass
class Quantity:
    """What a constraint compares: ``numerator × scale ÷ denominator``."""

    numerator: Column
    denominator: Column | None = None
    scale: Decimal = Decimal(1)

    @property
    def columns(self) -> list[Column]:
        return [c for c in (self.numerator, self.denominator) if c]


@dataclass
class Comparison:
    constraint: Constraint
    quantity: Quantity


@dataclass
class Check:
    norm: Norm
    register: str
    severity: str
    kind: str                                   # "standard", "requirement" (yes/no) or "eligibility"
    posts: list[str] = field(default_factory=list)          # applies to rows of these posts only
    excluded_posts: list[str] = field(default_factory=list)  # … but not these (a narrower norm applies)
    flags: list[Column] = field(default_factory=list)       # yes/no columns that decide the row's class
    conditions: list[Comparison] = field(default_factory=list)
    descriptive: list[Constraint] = field(default_factory=list)   # 左右 conditions: stated, not evaluated
    standards: list[Comparison] = field(default_factory=list)
    requirements: list[Column] = field(default_factory=list)      # yes/no columns that must be 是
    # a permission to set up one of the forms a choice column records (可以成立社区党总支): the column and
    # the form; a row that has set up that form must meet the permission's conditions
    form: tuple[Column, str] | None = None

    @property
    def id(self) -> str:
        return self.norm.id

    @property
    def condition_columns(self) -> list[Column]:
        return list(dict.fromkeys(col for cmp in self.conditions for col in cmp.quantity.columns))

    @property
    def reported(self) -> list[Column]:
        """The values a report shows beside the standards' actual values: the yes/no values a
        requirement needs; for a permission with a form, the conditions' values and the form."""
        if self.kind == "eligibility" and self.form:
            return [*self.condition_columns, self.form[0]]
        return list(self.requirements)

    @property
    def columns(self) -> list[Column]:
        out: list[Column] = []
        post = [column_for(WORKERS, ("post",))] if self.posts or self.excluded_posts else []
        for c in [*post, *self.flags, *(col for cmp in self.conditions + self.standards for col in cmp.quantity.columns),
                  *self.requirements, *([self.form[0]] if self.form else [])]:
            if c not in out:
                out.append(c)
        return out


# ---------------------------------------------------------------------------------------------------
# From norms to checks

def _things(norm: Norm, constraint: Constraint | None = None) -> list[str]:
    things = [constraint.basis] if constraint and constraint.basis else []
    return [t for t in things + norm.bearers + norm.objects if t and not t.startswith("http")]


def _need(measure: tuple[str, ...], policy: PolicyNorms) -> Column:
    column = find_measure(measure)
    if column is None:
        words = "、".join(policy.label(m) for m in measure)
        raise NotCheckable(f"登记表中没有计量“{words}”的列 (no register column measures {' / '.join(measure)})")
    return column


def quantity_of(norm: Norm, c: Constraint, policy: PolicyNorms) -> Quantity:
    """The register quantity a constraint compares, from its left operand, unit, period and basis."""
    if c.operator == "approximately" and c.role == "standard":
        raise NotCheckable(f"“{c.text}”是约数,不是可核对的界限 (an approximate figure, not a threshold)")
    if c.left in ROW_VALUES:
        for thing in _things(norm, c):
            column = find_measure((c.left, thing))
            if column:
                return Quantity(column)
        return Quantity(_need((c.left, (_things(norm, c) or ["?"])[0]), policy))
    if c.left == "leftOperandAmount":
        numerator = next((col for obj in norm.objects if (col := find_measure((c.left, norm.action or "", obj)))), None)
        if numerator is None:
            _need((c.left, norm.action or "", *norm.objects[:1]), policy)
        denominator = _need(("count", c.basis or ""), policy) if c.unit in PER_HEAD_UNITS else None
        return Quantity(numerator, denominator)
    if c.left == "leftOperandFloorAreaShare":
        if c.unit not in SHARE_SCALE:
            raise NotCheckable(f"未知的比例单位 {c.unit} (unknown share unit)")
        parts = [o for o in norm.objects if o != c.basis]
        numerator = next((col for o in parts if (col := find_measure(("area", o)))), None)
        if numerator is None:
            _need(("area", *parts[:1]), policy)
        return Quantity(numerator, _need(("area", c.basis or ""), policy), SHARE_SCALE[c.unit])
    if c.left == "leftOperandSalaryRatio":
        return Quantity(_need(("pay", norm.action or ""), policy), _need(("wage", c.period or ""), policy))
    if c.left in ("leftOperandFrequency", "leftOperandDays"):
        return Quantity(_need((c.left, norm.action or "", c.period or ""), policy))
    # what the quantity is of: the basis and objects, else the bearers the text names
    of = [t for t in [c.basis, *norm.objects] if t in policy.labels] or \
         [t for t in norm.bearers if t in policy.labels and t != "BearerNotStated"]
    about = "、".join(policy.label(t) for t in dict.fromkeys(of))
    about_en = ", ".join(policy.label(t, "en") for t in dict.fromkeys(of))
    raise NotCheckable(f"登记表中没有计量“{policy.label(c.left)}”({about})的列 "
                       f"(no register column measures {policy.label(c.left, 'en')} of {about_en})")


def _register_of(columns: list[Column]) -> str:
    registers = {c.register for c in columns}
    if len(registers) != 1:
        raise NotCheckable("所需的列不在同一登记表中 (the columns it needs are in different registers)")
    return registers.pop()


def build_check(norm: Norm, policy: PolicyNorms) -> Check:
    """The check of one norm, or NotCheckable with the reason."""
    severity = SEVERITY.get(norm.modality)
    if severity is None:
        raise NotCheckable(f"情态 {norm.modality} 无对应的核对 (no check for this modality)")
    conditions, descriptive = [], []
    for c in norm.conditions:
        if c.operator == "approximately":
            descriptive.append(c)    # 10000人左右: a gloss on the threshold beside it, not a threshold
        else:
            conditions.append(Comparison(c, quantity_of(norm, c, policy)))
    standards = [Comparison(c, quantity_of(norm, c, policy)) for c in norm.standards]
    requirements: list[Column] = []
    if standards:
        kind = "standard"
    elif norm.modality == "Permission":
        kind = "eligibility"
    else:
        kind = "requirement"
        if any(o.startswith("http") for o in norm.objects):
            thing = next(o for o in norm.objects if o.startswith("http"))
            raise NotCheckable(f"登记表中没有记录“{policy.label(thing)}”的列 "
                               f"(no register column records {policy.label(thing, 'en') or thing.rsplit('/', 1)[-1]})")
        if norm.objects:
            requirements = [_need((norm.action or "", obj), policy) for obj in norm.objects]
        else:
            things = _things(norm)
            column = _first((norm.action or "", t) for t in things)
            requirements = [column or _need((norm.action or "", *things[:1]), policy)]
    columns = [col for cmp in conditions + standards for col in cmp.quantity.columns] + requirements
    if not columns:
        raise NotCheckable("规范没有可核对的数值或事项 (nothing in the norm a register records)")
    register = _register_of(columns)
    check = Check(norm, register, severity, kind, conditions=conditions, descriptive=descriptive,
                  standards=standards, requirements=requirements)
    if kind == "eligibility" and conditions:
        check.form = _form_of(norm, register)
    things = set(_things(norm)) | {c.basis for c in norm.standards + norm.conditions if c.basis}
    post_classes = {cls for _, cls in POSTS} - {ROW_CLASS[WORKERS]}
    if register == WORKERS:
        check.posts = sorted(things & post_classes)
    for thing in sorted(things):
        flag = column_for(register, ("type", thing))
        if flag:
            check.flags.append(flag)
    return check


def _form_of(norm: Norm, register: str) -> tuple[Column, str] | None:
    """The choice column of ``register`` recording which form (of the ``("form", …)`` measure) the row
    has set up, when the norm permits setting up one of its forms (object 社区党总支 → 党组织形式)."""
    if norm.action != "actionSetUp":
        return None
    for column in register_columns(register):
        if column.kind != "choice" or not any(m[0] == "form" for m in column.measures):
            continue
        for obj in norm.objects:
            if any(cls == obj for _, cls in column.choices):
                return column, obj
    return None


def _first(measures):
    for m in measures:
        col = find_measure(m)
        if col:
            return col
    return None


@dataclass
class CheckSet:
    """Every check the policy's norms give, and the norms no register can feed (with the reason)."""

    policy: PolicyNorms
    checks: list[Check]
    not_checkable: list[tuple[Norm, str]]

    def for_register(self, register: str) -> list[Check]:
        return [c for c in self.checks if c.register == register]

    def feeds(self) -> dict[tuple[str, str], list[str]]:
        """(register, column key) → ids of the norms the column feeds."""
        out: dict[tuple[str, str], list[str]] = {}
        for check in self.checks:
            for col in check.columns:
                out.setdefault((col.register, col.key), []).append(check.id)
            if check.norm.start_year or check.norm.deadline_year:
                out.setdefault((COMMUNITIES, "year"), []).append(check.id)
        for ids in out.values():
            ids[:] = list(dict.fromkeys(ids))
        return out


def build_checks(policy: PolicyNorms) -> CheckSet:
    checks, not_checkable = [], []
    for norm in policy.norms:
        try:
            checks.append(build_check(norm, policy))
        except NotCheckable as exc:
            not_checkable.append((norm, str(exc)))
    _apply_lex_specialis(checks)
    return CheckSet(policy, checks, not_checkable)


def _apply_lex_specialis(checks: list[Check]) -> None:
    """A check for every worker gives way, for the posts a narrower check on the same action and
    quantities covers, to that check (其他社区工作者 … 5天 vs 书记、主任、站长 … 7天)."""
    for broad in checks:
        if broad.register != WORKERS or broad.posts or broad.flags:
            continue
        signature = (broad.norm.action, sorted(c.constraint.left for c in broad.standards))
        for narrow in checks:
            if narrow is not broad and narrow.register == WORKERS and narrow.posts and \
                    (narrow.norm.action, sorted(c.constraint.left for c in narrow.standards)) == signature:
                broad.excluded_posts = sorted(set(broad.excluded_posts) | set(narrow.posts))


# ---------------------------------------------------------------------------------------------------
# From checks to SPARQL

def iri(term: str) -> str:
    return f"<{PKG_URI}{term}>"


def prop(column: Column) -> str:
    return f"<{REG}{column.key}>"


def var(column: Column) -> str:
    return f"?v_{column.key}"


def decimal_literal(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    if "." not in text:
        text += ".0"
    return f'"{text}"^^<{XSD}decimal>'


def _tolerance(value: Decimal) -> Decimal:
    """Half a unit of the last place the text gives the number (0.5 → 0.05, 1 → 0.5)."""
    exponent = value.normalize().as_tuple().exponent
    return Decimal(5) * Decimal(10) ** (min(exponent, 0) - 1)


def _numerator(q: Quantity) -> str:
    return var(q.numerator) if q.scale == 1 else f"({var(q.numerator)} * {decimal_literal(q.scale)})"


def comparison_expr(cmp: Comparison) -> str:
    """``q op value`` without division: ``num × scale op value × den``."""
    c, q = cmp.constraint, cmp.quantity
    right = decimal_literal(c.value) if q.denominator is None else f"({decimal_literal(c.value)} * {var(q.denominator)})"
    if c.operator in COMPARATORS:
        return f"({_numerator(q)} {COMPARATORS[c.operator]} {right})"
    if c.operator in ("eq", "neq"):
        tol = decimal_literal(_tolerance(c.value))
        bound = tol if q.denominator is None else f"({tol} * {var(q.denominator)})"
        expr = f"(ABS({_numerator(q)} - {right}) <= {bound})"
        return expr if c.operator == "eq" else f"(!{expr})"
    raise ValueError(f"no comparison for operator {c.operator}")


def actual_expr(cmp: Comparison) -> str:
    q = cmp.quantity
    if q.denominator is None:
        return _numerator(q)
    return f"({_numerator(q)} / {var(q.denominator)})"


def _all_bound(columns: list[Column]) -> str:
    return " && ".join(f"BOUND({var(c)})" for c in columns) or "true"


def _nonzero(comparisons: list[Comparison]) -> str:
    dens = [c.quantity.denominator for c in comparisons if c.quantity.denominator]
    return " && ".join(f"({var(d)} != 0)" for d in dict.fromkeys(dens)) or "true"


def _lit(status: str) -> str:
    return f'"{status}"'


def status_expr(check: Check, row: str = "?row") -> str:
    """The SPARQL expression of the row's outcome (see the module's docstring for the order)."""
    steps: list[tuple[str, str]] = []
    post = var(column_for(WORKERS, ("post",)))   # the post column: required, so always bound
    if check.posts:
        steps.append((f"!({post} IN ({', '.join(iri(p) for p in check.posts)}))", NOT_APPLICABLE))
    if check.excluded_posts:
        steps.append((f"({post} IN ({', '.join(iri(p) for p in check.excluded_posts)}))", NOT_APPLICABLE))
    for flag in check.flags:
        steps.append((f"!BOUND({var(flag)})", UNKNOWN))
        steps.append((f"({var(flag)} != true)", NOT_APPLICABLE))
    if check.norm.start_year:
        steps.append((f"(?v_year < {check.norm.start_year})", NOT_APPLICABLE))
    if check.norm.deadline_year:
        steps.append((f"(?v_year < {check.norm.deadline_year})", NOT_APPLICABLE))
    if check.form and check.conditions:
        # a row that has set up the permitted form: its conditions must hold (else not met, with the
        # permission's severity); any other row is only told whether it may (符合条件 / 不适用)
        chosen = f"(BOUND({var(check.form[0])}) && ({var(check.form[0])} = {iri(check.form[1])}))"
        cols = check.condition_columns
        steps.append((f"({chosen} && !({_all_bound(cols)}))", UNKNOWN))
        steps.append((f"({chosen} && !({_nonzero(check.conditions)}))", UNKNOWN))
        steps.append((f"({chosen} && !({' && '.join(comparison_expr(c) for c in check.conditions)}))", NOT_MET))
    if check.conditions:
        cols = [col for cmp in check.conditions for col in cmp.quantity.columns]
        steps.append((f"!({_all_bound(cols)})", UNKNOWN))
        steps.append((f"!({_nonzero(check.conditions)})", UNKNOWN))
        steps.append((f"!({' && '.join(comparison_expr(c) for c in check.conditions)})", NOT_APPLICABLE))
    if check.kind == "eligibility":
        final = _lit(MET)
    elif check.kind == "requirement":
        steps.append((f"!({_all_bound(check.requirements)})", UNKNOWN))
        final = f"IF({' && '.join(f'({var(c)} = true)' for c in check.requirements)}, {_lit(MET)}, {_lit(NOT_MET)})"
    else:
        cols = [col for cmp in check.standards for col in cmp.quantity.columns]
        steps.append((f"!({_all_bound(cols)})", UNKNOWN))
        steps.append((f"!({_nonzero(check.standards)})", UNKNOWN))
        final = f"IF({' && '.join(comparison_expr(c) for c in check.standards)}, {_lit(MET)}, {_lit(NOT_MET)})"
    expr = final
    for test, outcome in reversed(steps):
        expr = f"IF({test}, {_lit(outcome)}, {expr})"
    return expr


def row_pattern(register: str, columns: list[Column], row: str = "?row", bind_row: bool = True) -> str:
    """The rows of a register with the values the checks read (OPTIONAL: a value may be missing)."""
    lines = []
    if bind_row:
        lines.append(f"{row} a {iri(ROW_CLASS[register])} .")
    if register == WORKERS:
        lines.append(f"{row} <{ORG}postIn> ?community . ?community <{REG}year> ?v_year .")
    else:
        lines.append(f"{row} <{REG}year> ?v_year .")
    for col in columns:
        lines.append(f"OPTIONAL {{ {row} {prop(col)} {var(col)} }}")
    return "\n  ".join(lines)


def check_query(check: Check) -> str:
    """One norm's check as a SELECT on its own: every row of its register with its outcome and the
    actual value(s) of the standard."""
    actuals = "".join(f"\n  BIND({actual_expr(c)} AS ?actual{i})" for i, c in enumerate(check.standards))
    names = " ".join(f"?actual{i}" for i in range(len(check.standards)))
    return (f"# {check.norm.article} {check.norm.label_zh}\n"
            f"SELECT ?row ?status {names} WHERE {{\n  {row_pattern(check.register, check.columns)}"
            f"\n  BIND({status_expr(check)} AS ?status){actuals}\n}}")


def identity_columns(register: str) -> list[Column]:
    """The columns a report names a row by (a worker's community comes through ?community)."""
    keys = ("district", "subdistrict", "community") if register == COMMUNITIES else ("name", "post")
    return [c for c in register_columns(register) if c.key in keys]


def read_columns(checks: list[Check]) -> list[Column]:
    """The columns the checks read, each once, in the checks' order."""
    columns: list[Column] = []
    for check in checks:
        for col in check.columns:
            if col not in columns:
                columns.append(col)
    return columns


def _check_lines(checks: list[Check], register: str, ident: list[Column]) -> list[str]:
    columns = read_columns(checks)
    lines = [row_pattern(register, [c for c in columns if c not in ident])]
    for col in ident:
        lines.append(f"?row {prop(col)} {var(col)} .")
    return lines


def _binds(checks: list[Check]) -> list[str]:
    """``?s<i>``, the outcome of check i, and ``?a<i>_<j>``, the actual value of its standard j."""
    lines = []
    for i, check in enumerate(checks):
        lines.append(f"BIND({status_expr(check)} AS ?s{i})")
        lines += [f"BIND({actual_expr(cmp)} AS ?a{i}_{j})" for j, cmp in enumerate(check.standards)]
    return lines


def register_query(checks: list[Check], register: str) -> str:
    """The checks of one register as one SELECT: one solution per row, ``?s<i>`` the outcome of
    check i and ``?a<i>_<j>`` the actual value of its standard j."""
    ident = identity_columns(register)
    lines = _check_lines(checks, register, ident)
    lines += _binds(checks)
    select = ["?row", *(var(c) for c in ident)]
    for i, check in enumerate(checks):
        select.append(f"?s{i}")
        select += [f"?a{i}_{j}" for j in range(len(check.standards))]
        for col in check.reported:
            if var(col) not in select:
                select.append(var(col))
    if register == WORKERS:
        select.append("?community")
    return f"SELECT {' '.join(select)} WHERE {{\n  " + "\n  ".join(lines) + "\n}"


def compact_fields(checks: list[Check]) -> tuple[list[str], list[list[tuple[str, Column | None]]]]:
    """What :func:`compact_query` puts in a row's text before the row's IRI: the outcomes' variables
    (one per check), then per check its actual values: ``(variable, column)``, the column for a value
    the report shows as it is (a yes/no or a choice), ``None`` for a standard's actual number."""
    statuses = [f"?s{i}" for i in range(len(checks))]
    actuals = [[(f"?a{i}_{j}", None) for j in range(len(c.standards))] + [(var(col), col) for col in c.reported]
               for i, c in enumerate(checks)]
    return statuses, actuals


COMPACT_SEPARATOR = "|"   # in no number, boolean, outcome or class IRI; the row's IRI comes last, whatever it holds


def compact_query(checks: list[Check], register: str) -> str:
    """The same checks as :func:`register_query`, each solution one string: the outcomes, the actual
    values (:func:`compact_fields`) and the row's IRI joined by ``|``, an unbound value empty. The WHERE
    clause is the same one: only what comes back differs. One term a row rather than twenty is most of
    the time of reading a large check's solutions in Python (bench/compliance.py). Identity columns
    are left out: the caller has the register's rows."""
    lines = _check_lines(checks, register, []) + _binds(checks)
    statuses, actuals = compact_fields(checks)
    fields = [*statuses, *(f'COALESCE(STR({v}), "")' for per in actuals for v, _ in per), "STR(?row)"]
    sep = f', "{COMPACT_SEPARATOR}", '
    lines.append(f"BIND(CONCAT({sep.join(fields)}) AS ?r)")
    return "SELECT ?r WHERE {\n  " + "\n  ".join(lines) + "\n}"
