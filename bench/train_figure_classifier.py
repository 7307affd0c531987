"""Train the figure classifier (model diagram or not), reproducibly from a seed.

Positives: random DLIR models drawn by papercc's renderer as vector PDFs in random styles.
Negatives, drawn here with PyMuPDF: line plots, bar charts, scatter plots, generic
flowcharts (boxes and arrows whose text is not layers), grids of numbers. Captions are drawn
from neutral, architecture-like and result-like pools for both classes, so the model cannot
learn the label from the caption alone. Every page goes through the real vector figure
reader (`extract_vector_diagram`), then `figure_classifier.features`. A logistic regression
(scikit-learn) is fit on a training split; precision and recall are reported on the
held-out split and on the figures of ../shared/papers (labelled here, by hand, for the
evaluation only). The weights go to compiler/diagram/models/figure_classifier.json.

Usage: python bench/train_figure_classifier.py [--n 400] [--seed 0] [--write]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path

import pymupdf

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "compiler" / "diagram" / "models" / "figure_classifier.json"

import papercc  # noqa: E402
from papercc.compiler.diagram.classifier import FEATURES, features  # noqa: E402
from papercc.compiler.diagram.graph import Diagram  # noqa: E402
from papercc.compiler.vector.diagram import extract_vector_diagram  # noqa: E402

NEUTRAL = ["Figure {n}.", "Figure {n}: Overview.", "Fig. {n}. Illustration.", "Figure {n}"]
ARCH = [
    "Figure {n}: The architecture of our network.",
    "Figure {n}: Overview of the proposed model.",
    "Fig. {n}. Structure of the module.",
    "Figure {n}. The pipeline of the system.",
]
RESULT = [
    "Figure {n}: Training and test error.",
    "Figure {n}: Accuracy of the methods.",
    "Fig. {n}. Comparison of results on the benchmark.",
    "Figure {n}: Examples of predictions.",
]
WORDS = [
    "Start", "Load data", "Preprocess", "Is valid?", "Save", "End", "Collect", "Annotate",
    "Review", "Publish", "User", "Server", "Database", "Query", "Response", "Cache", "Login",
    "Upload", "Evaluate", "Report", "Yes", "No", "Crawler", "Index", "Search", "Rank",
]  # fmt: skip


# ---------------------------------------------------------------- positives


def random_dlir(rng: random.Random) -> str:
    """A small random CNN (chain, with an occasional residual add or 2-way concat)."""
    hw = rng.choice([32, 64, 112, 224])
    lines = [f"model m(x: f32[N, 3, {hw}, {hw}]) {{", "  y = x"]
    c = 3
    for _ in range(rng.randint(3, 14)):
        kind = rng.random()
        if kind < 0.45:
            k = rng.choice([1, 3, 3, 5, 7])
            c = rng.choice([16, 32, 64, 128, 256])
            s = rng.choice([1, 1, 1, 2])
            lines.append(f"  y = relu(conv2d(y, {c}, kernel={k}, stride={s}, padding={k // 2}))")
        elif kind < 0.6:
            lines.append(
                f"  y = {rng.choice(['max', 'avg'])}pool2d(y, kernel=2, stride=2, ceil_mode=true)"
            )
        elif kind < 0.7:
            lines.append(f"  y = add(y, relu(conv2d(y, {c}, kernel=3, padding=1)))")
        elif kind < 0.8:
            a, b = rng.choice([16, 32, 64]), rng.choice([16, 32, 64])
            lines.append(
                f"  y = concat(conv2d(y, {a}, kernel=1), conv2d(y, {b}, kernel=3, padding=1))"
            )
            c = a + b
        elif kind < 0.9:
            lines.append("  y = batchnorm(y)")
        else:
            lines.append("  y = dropout(y, 0.5)")
    lines.append(f"  y = dense(flatten(globalavgpool(y)), {rng.choice([10, 100, 1000])})")
    lines.append("  return softmax(y)")
    lines.append("}")
    return "\n".join(lines) + "\n"


def positive_page(rng: random.Random) -> tuple[bytes, str]:
    from papercc.compiler.render.draw import render
    from papercc.compiler.render.style import random_style

    graph = papercc.check(papercc.parse(random_dlir(rng))).graphs["m"]
    rendered = render(graph, random_style(rng), "pdf")
    return rendered.data, rng.choice(NEUTRAL + ARCH + RESULT[:1])


# ---------------------------------------------------------------- negatives


def _axes(page, rng, x0, y0, x1, y1):
    page.draw_line((x0, y1), (x1, y1))
    page.draw_line((x0, y0), (x0, y1))
    for i in range(6):
        x = x0 + (x1 - x0) * i / 5
        page.draw_line((x, y1), (x, y1 + 3))
        page.insert_text((x - 6, y1 + 12), f"{i * rng.choice([1, 5, 10, 20])}", fontsize=7)
    for i in range(5):
        y = y1 - (y1 - y0) * i / 4
        page.draw_line((x0 - 3, y), (x0, y))
        page.insert_text((x0 - 22, y + 3), f"{i * 0.25:.2f}", fontsize=7)


def line_plot(page, rng):
    x0, y0, x1, y1 = 60, 40, 360, 240
    _axes(page, rng, x0, y0, x1, y1)
    for k in range(rng.randint(1, 4)):
        pts = []
        v = rng.uniform(0.2, 0.9)
        for i in range(rng.randint(10, 60)):
            v = min(max(v + rng.uniform(-0.06, 0.04), 0.02), 0.98)
            pts.append((x0 + (x1 - x0) * i / 59, y1 - (y1 - y0) * v))
        page.draw_polyline(
            pts,
            color=(rng.random(), rng.random(), rng.random()),
            dashes=rng.choice([None, "[3] 0"]),
        )
        page.insert_text(
            (x1 - 60, y0 + 12 * k + 10),
            rng.choice(["train", "test", "ours", "baseline", "plain-18", "ResNet-34"]),
            fontsize=7,
        )
    page.insert_text(
        (x0 + 100, y1 + 26), rng.choice(["iter. (1e4)", "epochs", "error (%)"]), fontsize=8
    )


def bar_chart(page, rng):
    x0, y0, x1, y1 = 60, 40, 360, 240
    _axes(page, rng, x0, y0, x1, y1)
    n = rng.randint(3, 10)
    w = (x1 - x0) / (n * 1.5)
    for i in range(n):
        h = rng.uniform(0.1, 0.95) * (y1 - y0)
        xa = x0 + 10 + i * w * 1.4
        page.draw_rect((xa, y1 - h, xa + w, y1), fill=(rng.random(), rng.random(), rng.random()))
        page.insert_text((xa, y1 - h - 3), f"{rng.uniform(50, 99):.1f}", fontsize=6)


def scatter(page, rng):
    x0, y0, x1, y1 = 60, 40, 360, 240
    _axes(page, rng, x0, y0, x1, y1)
    for _ in range(rng.randint(20, 120)):
        cx, cy = rng.uniform(x0 + 5, x1 - 5), rng.uniform(y0 + 5, y1 - 5)
        page.draw_circle((cx, cy), 1.5, fill=(0.2, 0.3, 0.8))


def flowchart(page, rng):
    n = rng.randint(3, 8)
    vertical = rng.random() < 0.5
    boxes = []
    for i in range(n):
        if vertical:
            r = pymupdf.Rect(150, 30 + i * 45, 270, 55 + i * 45)
        else:
            r = pymupdf.Rect(20 + i * 70, 100, 80 + i * 70, 130)
        page.draw_rect(r)
        page.insert_textbox(r, rng.choice(WORDS), fontsize=8, align=1)
        boxes.append(r)
    for a, b in zip(boxes, boxes[1:], strict=False):
        if vertical:
            p, q = (a.x0 + a.width / 2, a.y1), (b.x0 + b.width / 2, b.y0)
        else:
            p, q = (a.x1, a.y0 + a.height / 2), (b.x0, b.y0 + b.height / 2)
        page.draw_line(p, q)
        ang = math.atan2(q[1] - p[1], q[0] - p[0])
        tri = [
            q,
            (q[0] - 6 * math.cos(ang - 0.4), q[1] - 6 * math.sin(ang - 0.4)),
            (q[0] - 6 * math.cos(ang + 0.4), q[1] - 6 * math.sin(ang + 0.4)),
        ]
        page.draw_polyline(tri + [q], fill=(0, 0, 0), closePath=True)


def number_grid(page, rng):
    rows, cols = rng.randint(3, 8), rng.randint(3, 6)
    for r in range(rows + 1):
        page.draw_line((40, 40 + r * 18), (40 + cols * 60, 40 + r * 18), width=0.5)
    for r in range(rows):
        for c in range(cols):
            page.insert_text((46 + c * 60, 53 + r * 18), f"{rng.uniform(0, 100):.2f}", fontsize=7)


NEGATIVES = (line_plot, bar_chart, scatter, flowchart, number_grid)


def negative_page(rng: random.Random) -> tuple[bytes, str]:
    doc = pymupdf.open()
    page = doc.new_page(width=420, height=320)
    rng.choice(NEGATIVES)(page, rng)
    return doc.tobytes(), rng.choice(NEUTRAL + RESULT + ARCH[:1])


# ---------------------------------------------------------------- data, fit, evaluate


def page_features(pdf: bytes, caption: str, n: int) -> list[float]:
    doc = pymupdf.open(stream=pdf, filetype="pdf")
    diagram: Diagram = extract_vector_diagram(doc[0], None, {"parser": "vector"})
    feats = features(diagram, caption.format(n=n))
    return [feats[k] for k in FEATURES]


def dataset(n: int, seed: int) -> tuple[list[list[float]], list[int]]:
    rng = random.Random(seed)
    xs, ys = [], []
    for i in range(n):
        positive = i % 2 == 0
        pdf, caption = positive_page(rng) if positive else negative_page(rng)
        xs.append(page_features(pdf, caption, i % 9 + 1))
        ys.append(1 if positive else 0)
    return xs, ys


# Real figures, labelled by hand for evaluation only (never used in library code).
REAL = {
    "resnet_1512.03385.pdf": {1: 0, 2: 1, 3: 1, 4: 0, 5: 1, 6: 0, 7: 0},
    "googlenet_cvpr2015.pdf": {2: 1, 3: 1},
    "inception_v4_1602.07261.pdf": {3: 1, 4: 1, 5: 1, 6: 1, 7: 1, 8: 1, 9: 1, 10: 1, 22: 0, 23: 0, 24: 0, 25: 0},
    "mobilenet_1704.04861.pdf": {2: 1, 3: 1},
}  # fmt: skip


def real_eval(weights: dict[str, float]) -> tuple[int, int, int, int]:
    from papercc.compiler.diagram.classifier import score
    from papercc.compiler.lower.figure import figures_from_pdf

    papers = ROOT.parent / "shared" / "papers"
    tp = fp = fn = tn = 0
    for name, labels in REAL.items():
        if not (papers / name).exists():
            continue
        for fig in figures_from_pdf(papers / name, raster=False):
            if fig.number not in labels:
                continue
            pred = score(features(fig.diagram, fig.caption), weights) >= 0.5
            truth = labels[fig.number] == 1
            tp += pred and truth
            fp += pred and not truth
            fn += (not pred) and truth
            tn += (not pred) and not truth
    return tp, fp, fn, tn


def pr(tp, fp, fn) -> tuple[float, float]:
    return tp / max(tp + fp, 1), tp / max(tp + fn, 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--write", action="store_true", help="write the weights file")
    args = ap.parse_args()
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import precision_score, recall_score

    start = time.perf_counter()
    xs, ys = dataset(args.n, args.seed)
    split = int(len(xs) * 0.75)
    clf = LogisticRegression(C=1.0, fit_intercept=False, max_iter=2000)
    clf.fit(xs[:split], ys[:split])
    pred = clf.predict(xs[split:])
    p, r = precision_score(ys[split:], pred), recall_score(ys[split:], pred)
    weights = {k: float(w) for k, w in zip(FEATURES, clf.coef_[0], strict=True)}
    tp, fp, fn, tn = real_eval(weights)
    rp, rr = pr(tp, fp, fn)
    print(f"{len(xs)} synthetic figures in {time.perf_counter() - start:.1f}s")
    print(f"held-out synthetic: precision {p:.3f} recall {r:.3f} ({len(xs) - split} figures)")
    print(f"real papers: precision {rp:.3f} recall {rr:.3f} (tp {tp} fp {fp} fn {fn} tn {tn})")
    print(json.dumps(weights, indent=1))
    if args.write:
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(
            json.dumps(
                {
                    "features": list(FEATURES),
                    "weights": weights,
                    "trained": {"n": len(xs), "seed": args.seed, "split": 0.75},
                    "heldout": {"precision": round(p, 4), "recall": round(r, 4)},
                    "real_papers": {"precision": round(rp, 4), "recall": round(rr, 4)},
                },
                indent=1,
            )
            + "\n"
        )
        print(f"wrote {OUT}")


if __name__ == "__main__":
    sys.exit(main())
