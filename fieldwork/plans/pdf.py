"""The printable plan (for the council) and the residents' one-page summary, with reportlab:
text only, large type for the summary."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from fieldwork.core.pdftext import clean_text
from fieldwork.plans.content import ResidentsSummary

TITLE = ParagraphStyle("title", fontName="Helvetica-Bold", fontSize=20, leading=25)
HEAD = ParagraphStyle("head", fontName="Helvetica-Bold", fontSize=14, leading=18, spaceBefore=8)
TEXT = ParagraphStyle("text", fontName="Helvetica", fontSize=10.5, leading=14)
SMALL = ParagraphStyle("small", fontName="Helvetica", fontSize=9, leading=11.5)
BIG = ParagraphStyle("big", fontName="Helvetica", fontSize=13, leading=17)
BIG_HEAD = ParagraphStyle(
    "bighead", fontName="Helvetica-Bold", fontSize=16, leading=20, spaceBefore=8
)


def _t(value: str) -> str:
    return escape(clean_text(value))


@dataclass
class PdfAction:
    description: str
    partners: str
    owner: str
    output: str
    timing: str
    status: str


@dataclass
class PdfIndicator:
    label: str
    baseline: str
    target: str
    values: str


@dataclass
class PdfObjective:
    title: str
    neighbourhood: str
    point: str
    findings: list[str]
    actions: list[PdfAction]
    indicators: list[PdfIndicator]
    reactions: str


@dataclass
class PdfPlan:
    title: str
    municipality: str
    neighbourhoods: str
    period: str
    made_on: date
    objectives: list[PdfObjective] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)


def _document(buffer: io.BytesIO, title: str) -> SimpleDocTemplate:
    return SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=clean_text(title),
    )


def _table(rows: Sequence[list[Any]], widths: list[float]) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, "#999999"),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def render_plan(plan: PdfPlan) -> bytes:
    buffer = io.BytesIO()
    document = _document(buffer, plan.title)
    width = A4[0] - 32 * mm
    label = plan.labels
    story: list[Flowable] = [
        Paragraph(_t(plan.title), TITLE),
        Paragraph(_t(f"{plan.municipality} — {plan.neighbourhoods}"), BIG),
        Paragraph(_t(f"{label['period']}: {plan.period}"), TEXT),
        Paragraph(_t(f"{label['made_on']}: {plan.made_on:%d/%m/%Y}"), SMALL),
        Spacer(1, 4 * mm),
    ]
    for objective in plan.objectives:
        story.append(Paragraph(_t(f"{objective.title} ({objective.neighbourhood})"), HEAD))
        if objective.point:
            story.append(Paragraph(_t(f"{label['point']}: {objective.point}"), TEXT))
        if objective.findings:
            story.append(
                Paragraph(_t(f"{label['findings']}: {', '.join(objective.findings)}"), TEXT)
            )
        if objective.actions:
            header = [
                Paragraph(f"<b>{_t(label[k])}</b>", SMALL)
                for k in ("action", "partners", "owner", "output", "timing", "status")
            ]
            rows = [header] + [
                [
                    Paragraph(_t(a.description), SMALL),
                    Paragraph(_t(a.partners), SMALL),
                    Paragraph(_t(a.owner), SMALL),
                    Paragraph(_t(a.output), SMALL),
                    Paragraph(_t(a.timing), SMALL),
                    Paragraph(_t(a.status), SMALL),
                ]
                for a in objective.actions
            ]
            fractions = [0.28, 0.17, 0.13, 0.18, 0.13, 0.11]
            story.append(Spacer(1, 2 * mm))
            story.append(_table(rows, [width * f for f in fractions]))
        if objective.indicators:
            header = [
                Paragraph(f"<b>{_t(label[k])}</b>", SMALL)
                for k in ("indicator", "baseline", "target", "values")
            ]
            rows = [header] + [
                [
                    Paragraph(_t(i.label), SMALL),
                    Paragraph(_t(i.baseline), SMALL),
                    Paragraph(_t(i.target), SMALL),
                    Paragraph(_t(i.values), SMALL),
                ]
                for i in objective.indicators
            ]
            story.append(Spacer(1, 2 * mm))
            story.append(_table(rows, [width * f for f in (0.3, 0.12, 0.12, 0.46)]))
        if objective.reactions:
            story.append(Paragraph(_t(objective.reactions), TEXT))
    document.build(story)
    return buffer.getvalue()


def render_summary(summary: ResidentsSummary, labels: dict[str, str]) -> bytes:
    """One page for residents: what we heard, what we will do."""
    buffer = io.BytesIO()
    document = _document(buffer, f"{summary.plan} — {summary.neighbourhood}")
    story: list[Flowable] = [
        Paragraph(_t(f"{labels['title']} {summary.neighbourhood}"), TITLE),
        Paragraph(_t(f"{summary.municipality} · {summary.period}"), BIG),
        Spacer(1, 4 * mm),
    ]
    for item in summary.items:
        story.append(Paragraph(_t(item.title), BIG_HEAD))
        heard = item.heard or ", ".join(item.themes)
        if heard:
            story.append(Paragraph(f"<b>{_t(labels['heard'])}</b> {_t(heard)}", BIG))
        if item.actions:
            story.append(Paragraph(f"<b>{_t(labels['do'])}</b>", BIG))
            for action in item.actions:
                who = ", ".join(w for w in action.who if w)
                line = f"• {action.what} ({action.when}; {action.status})"
                if who:
                    line += f" — {labels['with']} {who}"
                story.append(Paragraph(_t(line), BIG))
        if item.reactions:
            story.append(Paragraph(_t(item.reactions), TEXT))
    if not summary.items:
        story.append(Paragraph(_t(labels["empty"]), BIG))
    document.build(story)
    return buffer.getvalue()
