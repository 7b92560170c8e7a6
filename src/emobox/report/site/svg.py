"""Small figures written as inline SVG by hand: a few hundred bytes each and no matplotlib,
so a page per run costs milliseconds (matplotlib's PNG + SVG took ~0.4 s per run page)."""

from __future__ import annotations

from collections.abc import Sequence

from emobox.report.site.page import esc

COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f")
W, H, PAD = 560, 260, 44


def _frame(title: str, xlabel: str, ylabel: str, y_top: float, y_unit: str = "") -> list[str]:
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{W}' height='{H}' "
             f"viewBox='0 0 {W} {H}' role='img'><title>{esc(title)}</title>",
             f"<text x='{W / 2}' y='14' text-anchor='middle' font-size='12'>{esc(title)}</text>",
             f"<line x1='{PAD}' y1='{H - PAD}' x2='{W - 10}' y2='{H - PAD}' stroke='#444'/>",
             f"<line x1='{PAD}' y1='24' x2='{PAD}' y2='{H - PAD}' stroke='#444'/>",
             f"<text x='{W / 2}' y='{H - 8}' text-anchor='middle' font-size='11'>"
             f"{esc(xlabel)}</text>",
             f"<text x='12' y='{H / 2}' font-size='11' text-anchor='middle' "
             f"transform='rotate(-90 12 {H / 2})'>{esc(ylabel)}</text>"]
    for frac in (0, 0.5, 1):
        y = _y(frac * y_top, y_top)
        parts.append(f"<text x='{PAD - 4}' y='{y + 4:.1f}' font-size='10' text-anchor='end'>"
                     f"{frac * y_top:g}{y_unit}</text>")
    return parts


def _y(value: float, top: float) -> float:
    return H - PAD - (H - PAD - 24) * (value / top if top else 0)


def line_chart(series: Sequence[tuple[str, Sequence[float]]], *, title: str, xlabel: str,
               ylabel: str, top: float = 100.0) -> str:
    """One polyline per (label, values) over x = 1..n, y from 0 to `top`, with a legend."""
    n = max((len(v) for _, v in series), default=1)
    step = (W - 10 - PAD) / max(n - 1, 1)
    parts = _frame(title, xlabel, ylabel, top)
    parts.append(f"<text x='{PAD}' y='{H - PAD + 14}' font-size='10'>1</text>"
                 f"<text x='{W - 10}' y='{H - PAD + 14}' font-size='10' text-anchor='end'>"
                 f"{n}</text>")
    for k, (label, values) in enumerate(series):
        colour = COLOURS[k % len(COLOURS)]
        points = " ".join(f"{PAD + i * step:.1f},{_y(min(max(v, 0), top), top):.1f}"
                          for i, v in enumerate(values))
        parts.append(f"<polyline fill='none' stroke='{colour}' stroke-width='1.5' "
                     f"points='{points}'><title>{esc(label)}</title></polyline>")
        parts.append(f"<text x='{W - 14}' y='{34 + 13 * k}' font-size='10' fill='{colour}' "
                     f"text-anchor='end'>{esc(label)}</text>")
    return "".join(parts) + "</svg>"


def histogram(edges: Sequence[float], counts: Sequence[int], *, title: str, xlabel: str,
              ylabel: str = "utterances") -> str:
    """Bars of `counts` between consecutive `edges` (len(edges) == len(counts) + 1), each
    bar's count and range in its hover title."""
    top = max(counts, default=0) or 1
    width = (W - 10 - PAD) / max(len(counts), 1)
    parts = _frame(title, xlabel, ylabel, top)
    for i, c in enumerate(counts):
        y = _y(c, top)
        parts.append(f"<rect x='{PAD + i * width + 1:.1f}' y='{y:.1f}' width='{width - 2:.1f}' "
                     f"height='{H - PAD - y:.1f}' fill='#3b7dd8'><title>"
                     f"{edges[i]:.2f}–{edges[i + 1]:.2f}: {c}</title></rect>")
    for i in (0, len(counts)):
        parts.append(f"<text x='{PAD + i * width:.1f}' y='{H - PAD + 14}' font-size='10' "
                     f"text-anchor='middle'>{edges[i]:.2f}</text>")
    return "".join(parts) + "</svg>"


def confusion_table(labels: Sequence[str], matrix: Sequence[Sequence[int]]) -> str:
    """The confusion matrix as an HTML table (rows: true, columns: predicted), each cell
    shaded by its share of the row."""
    head = "".join(f"<th>{esc(lab)}</th>" for lab in labels)
    rows = []
    for lab, row in zip(labels, matrix):
        total = sum(row) or 1
        cells = "".join(f"<td style='background:rgba(31,119,180,{0.85 * v / total:.2f})'>"
                        f"{int(v)}</td>" for v in row)
        rows.append(f"<tr><th>{esc(lab)}</th>{cells}</tr>")
    return (f"<table class='confusion'><thead><tr><th>true ↓ / predicted →</th>{head}</tr>"
            f"</thead><tbody>{''.join(rows)}</tbody></table>")


def reliability_chart(curves: Sequence[tuple[str, Sequence[float], Sequence[float],
                                             Sequence[int]]], *, title: str) -> str:
    """A reliability diagram: per (label, mean confidence, accuracy, count) of each
    non-empty bin a marker on x = confidence, y = accuracy (both in %), joined per curve, over
    the diagonal of perfect calibration; each marker's bin figures in its hover title."""
    width = W - 10 - PAD

    def x(value: float) -> float:
        return PAD + width * value / 100

    parts = _frame(title, "mean confidence of the bin (%)", "accuracy of the bin (%)", 100)
    parts.append(f"<text x='{W - 10}' y='{H - PAD + 14}' font-size='10' text-anchor='end'>"
                 "100</text>"
                 f"<line x1='{x(0):.1f}' y1='{_y(0, 100):.1f}' x2='{x(100):.1f}' "
                 f"y2='{_y(100, 100):.1f}' stroke='#999' stroke-dasharray='3 3'>"
                 "<title>perfect calibration</title></line>")
    for k, (label, confidence, accuracy, counts) in enumerate(curves):
        colour = COLOURS[k % len(COLOURS)]
        points = [(x(c), _y(a, 100), c, a, n) for c, a, n in zip(confidence, accuracy, counts)]
        parts.append(f"<polyline fill='none' stroke='{colour}' stroke-width='1.5' points='"
                     + " ".join(f"{px:.1f},{py:.1f}" for px, py, *_ in points) + "'/>")
        parts += [f"<circle cx='{px:.1f}' cy='{py:.1f}' r='3' fill='{colour}'><title>"
                  f"{esc(label)}: confidence {c:.1f} %, accuracy {a:.1f} %, {n} utterances"
                  "</title></circle>" for px, py, c, a, n in points]
        parts.append(f"<text x='{PAD + 8}' y='{34 + 13 * k}' font-size='10' fill='{colour}'>"
                     f"{esc(label)}</text>")
    return "".join(parts) + "</svg>"
