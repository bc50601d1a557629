"""The report: for every row and every checkable norm of its register, the outcome, the required and
actual values in words, the clause and the exact quote; summaries per district and subdistrict.

Outcomes: 达标 met · 未达标 not met · 不适用 not applicable · 数据缺失 unknown. For a permission
(可以 → eligibility) 达标 reads 符合条件 (the row may do what the norm permits).

Formats: JSON (:meth:`Report.as_json`), CSV (one line per row and norm), XLSX (summary, communities,
workers, norms, norms not checkable) and RDF in the SHACL validation report vocabulary
(:meth:`Report.validation_graph`: one ``sh:ValidationResult`` per 未达标 or 数据缺失, severity from the
modality, ``sh:sourceShape`` the norm's shape, ``prov:wasDerivedFrom`` the norm).
"""
from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial, reduce
from itertools import islice
from operator import add, itemgetter

from policykg.compliance.checks import MET, NOT_APPLICABLE, NOT_MET, STATUSES, UNKNOWN, Check, CheckSet
from policykg.compliance.columns import COMMUNITIES, WORKERS
from policykg.compliance.files import save_blocks

STATUS_WORDS = {MET: "达标", NOT_MET: "未达标", NOT_APPLICABLE: "不适用", UNKNOWN: "数据缺失"}
# a permission's outcomes: may (符合条件), has set up the permitted form without meeting its conditions (不符合条件)
ELIGIBILITY_WORDS = {MET: "符合条件", NOT_MET: "不符合条件"}
STATUS_EN = {MET: "met", NOT_MET: "not met", NOT_APPLICABLE: "not applicable", UNKNOWN: "unknown"}
SEVERITY_WORDS = {"violation": "违规 violation", "warning": "警告 warning", "info": "提示 information",
                  "eligibility": "可享受 eligibility"}
POST_WORDS = {"CommunityPartySecretary": "社区党组织书记", "ResidentsCommitteeDirector": "居民委员会主任",
              "WorkstationHead": "工作站站长", "CommunityWorker": "其他社区工作者"}
SHAPE_PATH = "id/compliance/shape/"
EXCEL_MAX_ROWS = 1_048_576
# Beyond this many lines (rows × norms) an XLSX report's sheets of rows list the findings only (未达标,
# 不符合条件, 数据缺失): openpyxl writes ~100,000 cells a second, so the full listing of 100,000 communities
# (7 million lines) would take half an hour; the CSV report always lists every line.
XLSX_FULL_LINES = 100_000
FINDINGS = (NOT_MET, UNKNOWN)


@dataclass(slots=True)
class RowResult:
    iri: str
    number: int                 # the row in its file (header = 1)
    ident: tuple                # communities: (区, 街道, 社区); workers: (姓名, 岗位 class)
    statuses: tuple             # one per check of the register, in CheckSet.for_register order
    actuals: tuple              # per check: the standard's actual values (Decimal) or yes/no values
    community: str | None = None   # a worker's community row IRI


@dataclass(slots=True)
class Profiled:
    """The outcomes of some checks of a register by value profile: a row's outcomes and values for these
    checks are its profile's (run.Profiles). What the CSV report renders once per profile rather than once
    per row: a million workers have ~360,000 pay profiles and fewer than a hundred of each other group."""

    checks: list[int]       # positions in the register's check order
    statuses: list[tuple]   # per profile: its outcomes for ``checks``
    actuals: list[tuple]    # per profile: its actual values for ``checks``
    of_row: list[int]       # per row of the report: its profile


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        q = value.quantize(Decimal("0.01")) if value != value.to_integral_value() else value.to_integral_value()
        text = format(q.normalize(), "f") if q == q.to_integral_value() else format(q, "f")
        return text
    return str(value)


def status_words(check: Check, status: str) -> str:
    """An outcome in words: a permission's 达标 reads 符合条件, its 未达标 不符合条件."""
    return ELIGIBILITY_WORDS.get(status, STATUS_WORDS[status]) if check.kind == "eligibility" else STATUS_WORDS[status]


def _choice_words(column, value) -> str:
    """A choice as the register writes it (CommunityGeneralPartyBranch → 社区党总支)."""
    return next((words for words, cls in column.choices if cls == value), _fmt(value))


def required_words(check: Check) -> str:
    """What the norm requires, in the text's own words (pkg:valueText), with its conditions."""
    policy_words = []
    if check.kind == "standard":
        policy_words = [c.constraint.text for c in check.standards]
    elif check.kind == "requirement":
        policy_words = [f"{c.zh}:是" for c in check.requirements]
    else:
        policy_words = [f"可以({check.norm.label_zh})"]
        if check.form:
            policy_words.append(f"设立{_choice_words(check.form[0], check.form[1])}须符合条件")
    conditions = [c.constraint.text for c in check.conditions] + [c.text for c in check.descriptive]
    if check.norm.start_year:
        conditions.append(f"自{check.norm.start_year}年起")
    if check.norm.deadline_year:
        conditions.append(f"到{check.norm.deadline_year}年")
    text = ";".join(policy_words)
    if conditions:
        text += f"(条件:{'、'.join(conditions)})"
    return text


def actual_words(check: Check, status: str, actuals: tuple, policy) -> str:
    if status == UNKNOWN:
        return "数据缺失,需:" + "、".join(c.zh for c in check.columns)
    if check.kind == "eligibility":
        words = ELIGIBILITY_WORDS.get(status, "不符合条件或不适用")
        if check.form and status == NOT_MET:
            words += f",却已设立{_choice_words(check.form[0], check.form[1])}"
        values = [f"{col.zh}:{_choice_words(col, value) if col.kind == 'choice' else _fmt(value)}"
                  for col, value in zip(check.reported, actuals)]
        return ";".join([words, *values])
    parts = []
    for cmp, value in zip(check.standards, actuals):
        unit = policy.label(cmp.constraint.unit) if cmp.constraint.unit else ""
        if cmp.constraint.unit == "unitFraction":
            unit = ""
        parts.append(f"{_fmt(value)}{unit}")
    for col, value in zip(check.requirements, actuals[len(check.standards):]):
        parts.append(f"{col.zh}:{_fmt(value)}")
    return ";".join(parts)


def _csv_cell(value) -> str:
    """One cell as csv.writer (QUOTE_MINIMAL, lineterminator \\r\\n) writes it."""
    text = "" if value is None else str(value)
    if "," in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_cells(values) -> str:
    return ",".join(map(_csv_cell, values))


@dataclass
class Report:
    checkset: CheckSet
    base: str
    communities_file: str           # the registers' file names
    workers_file: str | None
    graphs: list[str]
    communities: list[RowResult]
    workers: list[RowResult]
    community_names: dict[str, tuple]
    timings: dict[str, float]
    # per register, its outcomes by value profile (every check in one of them, every row of the report
    # in each), where the check gives them: what the CSV report renders once per profile
    profiled: dict[str, list[Profiled]] = field(default_factory=dict)

    # ---- the outcomes -------------------------------------------------------------------------
    def _results(self, register: str) -> list[RowResult]:
        """The register's rows' results, in its order."""
        return self.communities if register == COMMUNITIES else self.workers

    def checks(self, register: str) -> list[Check]:
        return self.checkset.for_register(register)

    def location(self, register: str, row: RowResult) -> tuple:
        """(区, 街道, 社区, 姓名, 岗位) of a row."""
        if register == COMMUNITIES:
            return (*row.ident, "", "")
        return (*self.community_names.get(row.community, ("", "", "")), row.ident[0], POST_WORDS.get(row.ident[1], row.ident[1]))

    def outcomes(self, register: str):
        """(row, check, status, actual) for every row and check of the register."""
        checks = self.checks(register)
        for row in self._results(register):
            for check, status, actual in zip(checks, row.statuses, row.actuals):
                yield row, check, status, actual

    def findings(self) -> set[tuple[str, int, str, str]]:
        """(register, row, norm id, status) of every 未达标 and 数据缺失. Worked out once per distinct tuple
        of outcomes (rows repeat them), not per row and norm: a million workers' in 0.3 s, not 1.1 s."""
        found = set()
        for reg in (COMMUNITIES, WORKERS):
            ids = [c.id for c in self.checks(reg)]
            of: dict[tuple, tuple] = {}   # a row's outcomes → its (norm id, status) findings
            for row in (self.communities if reg == COMMUNITIES else self.workers):
                these = of.get(row.statuses)
                if these is None:
                    these = of[row.statuses] = tuple((norm, status) for norm, status in zip(ids, row.statuses)
                                                     if status in FINDINGS)
                for norm, status in these:
                    found.add((reg, row.number, norm, status))
        return found

    def status_of(self, register: str, number: int, norm_id: str) -> str | None:
        checks = self.checks(register)
        index = next(i for i, c in enumerate(checks) if c.id == norm_id)
        for row in self._results(register):
            if row.number == number:
                return row.statuses[index]
        return None

    def summary(self) -> dict:
        """Counts of each outcome per norm: overall, per district and per subdistrict."""
        totals: dict[str, Counter] = {}
        districts: dict[tuple, Counter] = {}
        subdistricts: dict[tuple, Counter] = {}
        for reg in (COMMUNITIES, WORKERS):
            ids = [c.id for c in self.checks(reg)]
            # counted per (district, subdistrict, outcomes of the row): rows repeat them, so this is
            # one dictionary step per row rather than three per row and norm
            per_place: Counter = Counter()
            for row in (self.communities if reg == COMMUNITIES else self.workers):
                loc = self.location(reg, row)
                per_place[(loc[0], loc[1], row.statuses)] += 1
            for (district, subdistrict, statuses), n in per_place.items():
                for norm, status in zip(ids, statuses):
                    totals.setdefault(norm, Counter())[status] += n
                    districts.setdefault((district, norm), Counter())[status] += n
                    subdistricts.setdefault((district, subdistrict, norm), Counter())[status] += n

        def counts(c: Counter) -> dict:
            return {s: c.get(s, 0) for s in STATUSES}

        return {
            "norms": [{"norm": k, **counts(v)} for k, v in totals.items()],
            "districts": [{"district": d, "norm": n, **counts(v)} for (d, n), v in sorted(districts.items())],
            "subdistricts": [{"district": d, "subdistrict": s, "norm": n, **counts(v)}
                             for (d, s, n), v in sorted(subdistricts.items())],
        }

    # ---- the norms ----------------------------------------------------------------------------
    def norm_rows(self) -> list[dict]:
        out = []
        for check in self.checkset.checks:
            n = check.norm
            out.append({"norm": n.id, "iri": n.iri, "register": check.register, "article": n.article,
                        "clause": n.clause, "label_zh": n.label_zh, "label_en": n.label_en,
                        "modality": n.modality, "marker": n.marker, "severity": check.severity,
                        "required": required_words(check), "quote": n.quote,
                        "columns": [c.key for c in check.columns]})
        return out

    def not_checkable_rows(self) -> list[dict]:
        return [{"norm": n.id, "iri": n.iri, "article": n.article, "label_zh": n.label_zh, "quote": n.quote,
                 "reason": reason} for n, reason in self.checkset.not_checkable]

    # ---- flat rows for CSV / XLSX / JSON ------------------------------------------------------
    HEADERS = ("登记表 register", "行 row", "区 district", "街道 subdistrict", "社区 community", "姓名 name",
               "岗位 post", "规范 norm", "条款 clause", "结果 outcome", "程度 severity", "要求 required",
               "实际 actual", "原文 quote")

    def lines(self) -> int:
        """How many lines (row × norm) the full listing has."""
        return len(self.communities) * len(self.checks(COMMUNITIES)) + len(self.workers) * len(self.checks(WORKERS))

    def _row_parts(self, register: str, only: tuple[str, ...] | None, render):
        """(rendered row part, [rendered norm part per line]) per row: what does not change from row to row
        is worked out once per check, and the words of an outcome once per distinct (check, outcome,
        values), since most rows repeat them."""
        policy = self.checkset.policy
        checks = self.checks(register)
        fixed = [(c.norm.label_zh, c.norm.article, SEVERITY_WORDS[c.severity], required_words(c), c.norm.quote)
                 for c in checks]
        words_of: dict[tuple, object] = {}
        numbered = range(len(checks))
        location = self.location
        for row in self._results(register):
            words = []
            for i, status, actual in zip(numbered, row.statuses, row.actuals):
                if only is not None and status not in only:
                    continue
                key = (i, status, actual)
                text = words_of.get(key)
                if text is None:
                    if len(words_of) > 100_000:   # a bound on the memo: values that never repeat
                        words_of.clear()
                    label, article, severity, required, quote = fixed[i]
                    check = checks[i]
                    text = words_of[key] = render((label, article, status_words(check, status), severity, required,
                                                   actual_words(check, status, actual, policy), quote))
                words.append(text)
            if words:
                yield render((register, row.number, *location(register, row))), words

    def flat_rows(self, register: str, only: tuple[str, ...] | None = None):
        """One line per row and norm as a tuple of cells (``only``: the lines of these outcomes)."""
        for head, words in self._row_parts(register, only, tuple):
            for w in words:
                yield head + w

    def csv_chunks(self):
        """The report as CSV (UTF-8 with a BOM, for Excel), in blocks of bytes as it is made: a large
        report is never held whole in memory. Each cell as csv.writer (QUOTE_MINIMAL, \\r\\n) writes it
        (:func:`_csv_cells`); the bytes of a line are two pieces, the row's cells (rendered once a row)
        and the norm's outcome (rendered once per check, outcome and actual values)."""
        yield self.csv_header()
        for register in (COMMUNITIES, WORKERS):
            yield from self._csv_blocks(register)

    def write_csv(self, out) -> None:
        """:meth:`csv_chunks` written to the binary file ``out``."""
        for block in self.csv_chunks():
            out.write(block)

    def save_csv(self, path) -> None:
        """The CSV report (:meth:`csv_chunks`' bytes) saved at ``path``, gzip-compressed when the name ends in
        .gz (``report.csv.gz``): written by a thread of its own while the next blocks are rendered, to a
        temporary file beside it, then renamed (no half-written report under the name;
        :func:`~policykg.compliance.files.save_blocks`).

        One process renders it, plain or gzip: rendering its parts on two forked processes gave the same
        bytes (for gzip, one member per part, concatenated) but each process wrote to ~790 of the main
        process's ~1,250 MB at 100,000 communities (reference counts of the rows it reads, and its new
        objects put in the free slots of pages the rows share), PSS 2.0-2.1 GB, over the 2 GB goal; plain,
        the 2.9 GB were also written twice on a disk of ~100 MB/s (bench/RESULTS.md)."""
        save_blocks(path, self.csv_chunks())

    def csv_header(self) -> bytes:
        return ("\ufeff" + _csv_cells(self.HEADERS) + "\r\n").encode("utf-8")

    def _csv_blocks(self, register: str, rows_a_block: int = 2048):
        """The CSV lines of the register's rows, in blocks of ``rows_a_block`` rows.

        A line is the row's cells (:meth:`_csv_places`) and its norm's (:meth:`_csv_tails`: rendered once per
        check, outcome and actual values). The norms' cells are put together once per value profile
        (:meth:`_by_profile`), and a row's lines are ``head.join`` of its profiles' cells, with a blank first:
        every row made in C by ``map``, no Python line a row or a line (100,000 communities and their million
        workers, 6.9 million lines: 4.2-4.3 CPU s against 5.1-5.2 looked up line by line, bench/RESULTS.md)."""
        rows = self._results(register)
        if not rows:
            return
        tails = self._csv_tails(register)
        columns, order = [], []
        for k, part in enumerate(self._by_profile(register)):
            lead = (b"",) if k == 0 else ()   # head.join((b"", a, b)) = head + a + head + b
            rendered = [lead + tuple(map(tails, part.checks, statuses, actuals))
                        for statuses, actuals in zip(part.statuses, part.actuals)]
            columns.append(map(rendered.__getitem__, part.of_row))
            order += part.checks
        per_row = reduce(partial(map, add), columns)
        if order != sorted(order):   # the groups interleave: back to the register's check order
            per_row = map(itemgetter(0, *(1 + order.index(i) for i in range(len(order)))), per_row)
        lines = map(bytes.join, map(self._csv_places(register), rows), per_row)
        yield from iter(lambda: b"".join(islice(lines, rows_a_block)), b"")

    def _by_profile(self, register: str) -> list[Profiled]:
        """The register's outcomes by value profile: the check's where they cover its rows, else each row its
        own profile."""
        rows = self._results(register)
        given = self.profiled.get(register)
        if given and all(len(part.of_row) == len(rows) for part in given):
            return given
        return [Profiled(list(range(len(self.checks(register)))), [r.statuses for r in rows],
                         [r.actuals for r in rows], range(len(rows)))]

    def _csv_tails(self, register: str):
        """What gives the cells of a line after the row's (check position, outcome, actual values → bytes, the
        line's end included): the cells around the actual values rendered once per check and outcome, the
        actual values in words once per check, outcome and distinct values (bounded)."""
        policy = self.checkset.policy
        checks = self.checks(register)
        around = [{s: ((_csv_cells((c.norm.label_zh, c.norm.article, status_words(c, s), SEVERITY_WORDS[c.severity],
                                    required_words(c))) + ",").encode("utf-8"),
                       ("," + _csv_cell(c.norm.quote) + "\r\n").encode("utf-8")) for s in STATUSES} for c in checks]
        memos = [{s: {} for s in STATUSES} for _ in checks]   # per check and outcome: actual values → bytes

        def tail(i: int, status: str, actual) -> bytes:
            by_value = memos[i][status]
            text = by_value.get(actual)
            if text is None:
                if len(by_value) > 300_000:   # a bound: values that never repeat
                    by_value.clear()
                before, after = around[i][status]
                text = by_value[actual] = (before + _csv_cell(actual_words(checks[i], status, actual, policy)).encode("utf-8")
                                           + after)
            return text
        return tail

    def _csv_places(self, register: str):
        """A row's first cells (register, row, district … post) and the comma after them, as bytes: the
        cells of a community (a worker's first three) rendered once per community."""
        if register == COMMUNITIES:
            def head(row: RowResult) -> bytes:
                return (_csv_cells((register, row.number, *row.ident, "", "")) + ",").encode("utf-8")
            return head
        places: dict[str, str] = {}
        posts = {cls: _csv_cell(words) for cls, words in POST_WORDS.items()}
        names = self.community_names
        prefix = _csv_cell(register) + ","

        def head(row: RowResult) -> bytes:
            place = places.get(row.community)
            if place is None:
                place = places[row.community] = _csv_cells(names.get(row.community, ("", "", "")))
            post = posts.get(row.ident[1])
            if post is None:
                post = _csv_cell(row.ident[1])
            return f"{prefix}{row.number},{place},{_csv_cell(row.ident[0])},{post},".encode("utf-8")
        return head

    def as_csv(self) -> bytes:
        out = io.BytesIO()
        self.write_csv(out)
        return out.getvalue()

    def as_json(self, max_rows: int | None = None) -> dict:
        """The report as JSON: norms, norms not checkable, summaries and the outcomes per row
        (``max_rows`` rows per register at most; ``truncated`` says so)."""
        policy = self.checkset.policy
        data = {"norms": self.norm_rows(), "not_checkable": self.not_checkable_rows(), "summary": self.summary(),
                "graphs": self.graphs, "timings": self.timings, "truncated": False}
        for reg in (COMMUNITIES, WORKERS):
            rows = []
            for row in (self.communities if reg == COMMUNITIES else self.workers):
                if max_rows is not None and len(rows) >= max_rows:
                    data["truncated"] = True
                    break
                loc = self.location(reg, row)
                rows.append({
                    "row": row.number, "iri": row.iri, "district": loc[0], "subdistrict": loc[1], "community": loc[2],
                    **({"name": loc[3], "post": loc[4]} if reg == WORKERS else {}),
                    "results": [{"norm": c.id, "status": s, "status_zh": status_words(c, s),
                                 "required": required_words(c), "actual": actual_words(c, s, a, policy)}
                                for c, s, a in zip(self.checks(reg), row.statuses, row.actuals)]})
            data[reg] = rows
        return data

    def as_xlsx(self) -> bytes:
        out = io.BytesIO()
        self.write_xlsx(out)
        return out.getvalue()

    def write_xlsx(self, target) -> None:
        """The workbook written to ``target`` (a path or a binary file)."""
        from openpyxl import Workbook
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("汇总 summary")
        ws.append(["区 district", "街道 subdistrict", "规范 norm", *(f"{STATUS_WORDS[s]} {STATUS_EN[s]}" for s in STATUSES)])
        summary = self.summary()
        labels = {c.id: f"{c.norm.article} {c.norm.label_zh}" for c in self.checkset.checks}
        for item in summary["districts"]:
            ws.append([item["district"], "(全区 all)", labels[item["norm"]], *(item[s] for s in STATUSES)])
        for item in summary["subdistricts"]:
            ws.append([item["district"], item["subdistrict"], labels[item["norm"]], *(item[s] for s in STATUSES)])
        full = self.lines() <= XLSX_FULL_LINES
        for reg, title in ((COMMUNITIES, "社区 communities"), (WORKERS, "社区工作者 workers")):
            ws, n, part = wb.create_sheet(title), 0, 1
            if not full:
                ws.append([f"仅列出未达标、不符合条件和数据缺失的结果(共{self.lines():,}条结果,全部结果见 CSV 报告) "
                           f"findings only: the full listing of {self.lines():,} lines is in the CSV report"])
            ws.append(list(self.HEADERS))
            for line in self.flat_rows(reg, None if full else FINDINGS):
                if n == EXCEL_MAX_ROWS - 1:   # Excel opens at most 1,048,576 rows a sheet: go on in the next
                    part += 1
                    ws, n = wb.create_sheet(f"{title} ({part})"), 0
                    ws.append(list(self.HEADERS))
                ws.append(list(line))
                n += 1
        ws = wb.create_sheet("规范 norms")
        ws.append(["规范 norm", "条款 clause", "登记表 register", "程度 severity", "要求 required", "原文 quote", "IRI"])
        for n in self.norm_rows():
            ws.append([n["label_zh"], n["article"], n["register"], SEVERITY_WORDS[n["severity"]], n["required"], n["quote"], n["iri"]])
        ws = wb.create_sheet("不可核对 not checkable")
        ws.append(["规范 norm", "条款 clause", "原因 reason", "原文 quote", "IRI"])
        for n in self.not_checkable_rows():
            ws.append([n["label_zh"], n["article"], n["reason"], n["quote"], n["iri"]])
        wb.save(target)

    # ---- RDF: the SHACL validation report vocabulary ------------------------------------------
    def validation_ntriples(self):
        """The outcomes as a sh:ValidationReport, N-Triples lines: one sh:ValidationResult per
        未达标 (severity from the modality) and per 数据缺失 (sh:Info)."""
        from policykg.compliance.shapes import SEVERITY_IRI, shape_iri
        sh = "http://www.w3.org/ns/shacl#"
        rdf_type = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
        report = f"<{self.graphs[0]}/report>"
        conforms = not any(s == NOT_MET and c.severity == "violation" for reg in (COMMUNITIES, WORKERS)
                           for _, c, s, _ in self.outcomes(reg))
        yield f"{report} {rdf_type} <{sh}ValidationReport> ."
        yield f'{report} <{sh}conforms> "{str(conforms).lower()}"^^<http://www.w3.org/2001/XMLSchema#boolean> .'
        policy = self.checkset.policy
        n = 0
        for reg in (COMMUNITIES, WORKERS):
            for row, check, status, actual in self.outcomes(reg):
                if status not in (NOT_MET, UNKNOWN):
                    continue
                n += 1
                result = f"<{self.graphs[0]}/report/result/{n}>"
                severity = SEVERITY_IRI[check.severity] if status == NOT_MET else f"{sh}Info"
                message = f"{STATUS_WORDS[status]} {STATUS_EN[status]}: {check.norm.label_zh};要求 {required_words(check)};实际 {actual_words(check, status, actual, policy)}"
                message = message.replace("\\", "\\\\").replace('"', '\\"')
                yield f"{report} <{sh}result> {result} ."
                yield f"{result} {rdf_type} <{sh}ValidationResult> ."
                yield f"{result} <{sh}focusNode> <{row.iri}> ."
                yield f"{result} <{sh}resultSeverity> <{severity}> ."
                yield f"{result} <{sh}sourceShape> <{shape_iri(self.base, check)}> ."
                yield f"{result} <{sh}sourceConstraintComponent> <{sh}SPARQLConstraintComponent> ."
                yield f'{result} <{sh}resultMessage> "{message}"@zh .'
                yield f"{result} <http://www.w3.org/ns/prov#wasDerivedFrom> <{check.norm.iri}> ."

    def validation_graph_text(self) -> str:
        return "\n".join(self.validation_ntriples()) + "\n"
