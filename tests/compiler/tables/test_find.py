"""Architecture tables: real papers (VGG, ResNet, GoogLeNet, MobileNet) and synthetic PDFs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

fitz = pytest.importorskip("pymupdf")

from synth_tables import make_table  # noqa: E402

from papercc.compiler.tables.find import (  # noqa: E402
    Entry,
    find_arch_tables,
    grid_for_bbox,
    is_architecture_table,
    table_candidates,
    table_words,
)
from papercc.compiler.tables.text import clean, marker_count, stride_of  # noqa: E402

PAPERS = Path("/work/shared/papers")
needs_papers = pytest.mark.skipif(not PAPERS.is_dir(), reason="shared papers not available")


def _page(name: str, number: int):
    return fitz.open(PAPERS / name)[number - 1]


def _only_table(name: str, number: int):
    tables = find_arch_tables(_page(name, number))
    assert len(tables) == 1, [t.caption for t in tables]
    return tables[0]


def _texts(config) -> list[str]:
    return [e.text for e in config.entries]


# --- VGG: configurations as columns, no vector rules (rules are stencil images) -------------


@needs_papers
def test_vgg_table1_columns():
    t = _only_table("vgg_1409.1556.pdf", 3)
    assert t.orientation == "columns"
    assert is_architecture_table(t) == (True, t.score, t.reasons)
    assert t.caption.startswith("Table 1:")
    assert [c.name for c in t.configs] == ["A", "A-LRN", "B", "C", "D", "E"]
    d = t.configs[4]
    assert d.input == "input (224 × 224 RGB image)"
    assert d.header == ("ConvNet Configuration", "D", "16 weight layers")
    expected = (
        ["conv3-64"] * 2
        + ["maxpool"]
        + ["conv3-128"] * 2
        + ["maxpool"]
        + ["conv3-256"] * 3
        + ["maxpool"]
        + ["conv3-512"] * 3
        + ["maxpool"]
        + ["conv3-512"] * 3
        + ["maxpool", "FC-4096", "FC-4096", "FC-1000", "soft-max"]
    )
    assert _texts(d) == expected
    assert sum(x.startswith("conv") for x in _texts(d)) == 13
    assert all(e == Entry(e.text) for e in d.entries)
    a, a_lrn, c, e = t.configs[0], t.configs[1], t.configs[3], t.configs[5]
    assert _texts(a)[:3] == ["conv3-64", "maxpool", "conv3-128"]
    assert _texts(a_lrn)[:3] == ["conv3-64", "LRN", "maxpool"]
    assert _texts(c)[6:10] == ["conv3-256", "conv3-256", "conv1-256", "maxpool"]
    assert sum(x.startswith("conv") for x in _texts(e)) == 16
    assert sum(x.startswith("conv") for x in _texts(a)) == 8
    assert [len(_texts(cfg)) for cfg in t.configs] == [17, 18, 19, 22, 22, 25]


# --- ResNet: stages x depths, bracketed stacks with private-use bracket glyphs --------------


@needs_papers
def test_resnet_table1_stages():
    t = _only_table("resnet_1512.03385.pdf", 5)
    assert t.orientation == "stages"
    assert [c.name for c in t.configs] == [
        "18-layer",
        "34-layer",
        "50-layer",
        "101-layer",
        "152-layer",
    ]
    r50 = t.configs[2]
    e = r50.entries
    assert e[0] == Entry("7×7, 64, stride 2", stride=2, output_size="112×112", row_label="conv1")
    assert e[1] == Entry(
        "3×3 max pool, stride 2", stride=2, output_size="56×56", row_label="conv2_x"
    )
    assert e[3] == Entry(
        "[1×1, 128; 3×3, 128; 1×1, 512] ×4",
        repeat=4,
        stack=("1×1, 128", "3×3, 128", "1×1, 512"),
        output_size="28×28",
        row_label="conv3_x",
    )
    assert e[-1] == Entry("average pool, 1000-d fc, softmax", output_size="1×1")
    assert [x.row_label for x in e] == [
        "conv1",
        "conv2_x",
        "conv2_x",
        "conv3_x",
        "conv4_x",
        "conv5_x",
        None,
    ]
    repeats = {c.name: [x.repeat for x in c.entries] for c in t.configs}
    assert repeats == {
        "18-layer": [1, 1, 2, 2, 2, 2, 1],
        "34-layer": [1, 1, 3, 4, 6, 3, 1],
        "50-layer": [1, 1, 3, 4, 6, 3, 1],
        "101-layer": [1, 1, 3, 4, 23, 3, 1],
        "152-layer": [1, 1, 3, 8, 36, 3, 1],
    }
    r18 = t.configs[0]
    assert r18.entries[2].stack == ("3×3, 64", "3×3, 64")
    assert r18.entries[2].text == "[3×3, 64; 3×3, 64] ×2"
    assert r18.entries[5].stack == ("3×3, 512", "3×3, 512")
    assert t.configs[4].entries[4].stack == ("1×1, 256", "3×3, 256", "1×1, 1024")
    assert r18.extra == (("FLOPs", "1.8×10^9"),)
    assert all(
        "\uf8ee" not in x.text and "\uf8fb" not in x.text for c in t.configs for x in c.entries
    )


# --- GoogLeNet: one layer per row, inception columns ----------------------------------------


@needs_papers
def test_googlenet_table1_rows():
    t = _only_table("googlenet_cvpr2015.pdf", 5)
    assert t.orientation == "rows"
    (g,) = t.configs
    assert g.name == "GoogLeNet"
    assert _texts(g) == [
        "convolution",
        "max pool",
        "convolution",
        "max pool",
        "inception (3a)",
        "inception (3b)",
        "max pool",
        "inception (4a)",
        "inception (4b)",
        "inception (4c)",
        "inception (4d)",
        "inception (4e)",
        "max pool",
        "inception (5a)",
        "inception (5b)",
        "avg pool",
        "dropout (40%)",
        "linear",
        "softmax",
    ]
    i3a = g.entries[4]
    assert i3a.output_size == "28×28×256"
    assert dict(i3a.extra) == {
        "depth": "2",
        "#1×1": "64",
        "#3×3 reduce": "96",
        "#3×3": "128",
        "#5×5 reduce": "16",
        "#5×5": "32",
        "pool proj": "32",
        "params": "159K",
        "ops": "128M",
    }
    conv1 = g.entries[0]
    assert conv1.stride == 2 and conv1.output_size == "112×112×64"
    assert dict(conv1.extra)["patch size/ stride"] == "7×7/2"
    assert g.entries[2].stride == 1
    assert g.entries[15].stride == 1
    assert dict(g.entries[17].extra)["params"] == "1000K"


# --- MobileNet: rows with "Type / Stride" and a 5× repeated pair ---------------------------


@needs_papers
def test_mobilenet_table1_rows():
    t = _only_table("mobilenet_1704.04861.pdf", 4)
    assert t.orientation == "rows"
    (m,) = t.configs
    assert m.name == "MobileNet"
    assert len(m.entries) == 21
    first = m.entries[0]
    assert first == Entry(
        "Conv / s2",
        stride=2,
        extra=(("Filter Shape", "3 × 3 × 3 × 32"), ("Input Size", "224 × 224 × 3")),
    )
    group = m.entries[13]
    assert group.repeat == 5
    assert group.stack == ("Conv dw / s1", "Conv / s1")
    assert group.text == "5× [Conv dw / s1; Conv / s1]"
    assert group.children == (
        Entry(
            "Conv dw / s1",
            stride=1,
            extra=(("Filter Shape", "3 × 3 × 512 dw"), ("Input Size", "14 × 14 × 512")),
        ),
        Entry(
            "Conv / s1",
            stride=1,
            extra=(("Filter Shape", "1 × 1 × 512 × 512"), ("Input Size", "14 × 14 × 512")),
        ),
    )
    assert [e.stride for e in m.entries[:5]] == [2, 1, 1, 2, 1]
    assert _texts(m)[-3:] == ["Avg Pool / s1", "FC / s1", "Softmax / s1"]
    assert dict(m.entries[-1].extra)["Filter Shape"] == "Classifier"


# --- the same real tables with every rule removed: word positions alone must suffice -------


def _without_rules(page):
    """A copy of `page` holding only its words (Helvetica, squeezed to the same widths)."""
    words = table_words(page)
    doc = fitz.open()
    out = doc.new_page(width=page.rect.width, height=page.rect.height)
    for w in words:
        natural = fitz.get_text_length(w.text, fontname="helv", fontsize=w.size)
        size = w.size * min(1.0, (w.x1 - w.x0) / natural) if natural else w.size
        out.insert_text((w.x0, w.base), w.text, fontname="helv", fontsize=size)
    return doc, out


@needs_papers
@pytest.mark.parametrize(
    "name,number",
    [
        ("vgg_1409.1556.pdf", 3),
        ("resnet_1512.03385.pdf", 5),
        ("googlenet_cvpr2015.pdf", 5),
        ("mobilenet_1704.04861.pdf", 4),
    ],
)
def test_real_tables_without_rules(name, number):
    want = _only_table(name, number)
    doc, bare = _without_rules(_page(name, number))
    got = [t for t in find_arch_tables(bare) if t.caption[:8] == want.caption[:8]]
    assert len(got) == 1
    assert got[0].orientation == want.orientation
    assert [(c.name, c.input, c.entries) for c in got[0].configs] == [
        (c.name, c.input, c.entries) for c in want.configs
    ]


# --- rejection: result tables and a figure that find_tables() mistakes for a table ---------

# Every numbered table of every paper is found as a candidate; only the architecture
# tables (VGG 1, ResNet 1, GoogLeNet 1, MobileNet 1) are accepted.
ALL_TABLES = {
    "vgg_1409.1556.pdf": (set(range(1, 13)), {1}),
    "resnet_1512.03385.pdf": (set(range(1, 15)), {1}),
    "googlenet_cvpr2015.pdf": (set(range(1, 6)), {1}),
    "mobilenet_1704.04861.pdf": (set(range(1, 15)), {1}),
    "inception_v4_1602.07261.pdf": (set(range(1, 6)), set()),
    "unet_1505.04597.pdf": ({1, 2}, set()),
    "dlpaper2code_1711.03543.pdf": (set(range(1, 6)), set()),
}


@needs_papers
@pytest.mark.parametrize("name", sorted(ALL_TABLES))
def test_every_table_found_and_only_architectures_accepted(name):
    numbered, accepted = ALL_TABLES[name]
    seen, kept = set(), set()
    for page in fitz.open(PAPERS / name):
        for grid in table_candidates(page):
            m = re.match(r"Table (\d+)[.:]", grid.caption)
            if not m:
                continue
            seen.add(int(m.group(1)))
            if is_architecture_table(grid)[0]:
                kept.add(int(m.group(1)))
    assert seen == numbered
    assert kept == accepted


@needs_papers
@pytest.mark.slow
def test_whole_papers_give_exactly_the_architecture_tables():
    # the eight papers this reader was developed on; the papers added to ../shared/papers
    # on 2026-12-07 are the table-families issue's measure (several of their tables are
    # not found yet, and two pages are read as tables that are not: resattention p7,
    # shufflenetv2 p19)
    first_eight = (
        "vgg_1409.1556.pdf",
        "resnet_1512.03385.pdf",
        "googlenet_cvpr2015.pdf",
        "inception_v4_1602.07261.pdf",
        "mobilenet_1704.04861.pdf",
        "unet_1505.04597.pdf",
        "lenet5_procieee1998.pdf",
        "dlpaper2code_1711.03543.pdf",
    )
    found = []
    for path in sorted(PAPERS / name for name in first_eight):
        for page in fitz.open(path):
            found += [(path.name, t.page, t.orientation) for t in find_arch_tables(page)]
    assert found == [
        ("googlenet_cvpr2015.pdf", 5, "rows"),
        ("mobilenet_1704.04861.pdf", 4, "rows"),
        ("resnet_1512.03385.pdf", 5, "stages"),
        ("vgg_1409.1556.pdf", 3, "columns"),
    ]


@needs_papers
def test_mobilenet_figure3_is_not_a_table():
    page = _page("mobilenet_1704.04861.pdf", 4)
    boxes = [t.bbox for t in page.find_tables().tables]
    fig = [b for b in boxes if b[3] < 200 and b[2] < 300]
    assert fig, boxes
    grid = grid_for_bbox(page, fig[0])
    ok, score, reasons = is_architecture_table(grid)
    assert not ok
    assert grid.caption.startswith("Figure 3")
    assert "Figure caption" in reasons
    assert any("free-standing boxes" in r for r in reasons)


# --- text rules --------------------------------------------------------------------------


def test_clean_and_markers():
    assert clean("3x3 conv,  64") == "3×3 conv, 64"
    assert clean("con\ufb01guration") == "configuration"
    assert marker_count("×23") == (23, "post")
    assert marker_count("5x") == (5, "pre")
    assert marker_count("3×3") is None
    assert stride_of("Conv dw / s2") == 2
    assert stride_of("7×7, 64, stride 2") == 2
    assert stride_of("3×3/2", stride_column=True) == 2
    assert stride_of("conv3-64") is None
    assert stride_of("7×7 conv, 64, /2") == 2
    assert stride_of("pool, /2") == 2
    assert stride_of("7×7/2") is None


def test_bad_input_raises_clear_error():
    with pytest.raises(TypeError, match="pymupdf Page"):
        find_arch_tables("not a page")
    with pytest.raises(TypeError, match="Grid or ArchTable"):
        is_architecture_table(["not", "a", "grid"])


def test_empty_and_trivial_pages():
    doc = fitz.open()
    page = doc.new_page()
    assert find_arch_tables(page) == []
    page.insert_text((72, 72), "Table 1: nothing below this caption")
    page.draw_line((72, 100), (300, 100))
    assert find_arch_tables(page) == []


# --- synthetic tables: random phrases and repeats, three orientations, three rule styles,
# --- varied fonts/sizes/caption side/"3x3" spelling (see synth_tables.py) ------------------


@pytest.mark.parametrize("orientation", ["columns", "rows", "stages"])
@pytest.mark.parametrize("rules", ["grid", "booktabs", "none"])
@pytest.mark.parametrize("seed", range(4))
def test_synthetic_round_trip(orientation, rules, seed):
    st = make_table(seed, orientation, rules)
    page = fitz.open("pdf", st.pdf)[0]
    tables = find_arch_tables(page)
    assert len(tables) == 1
    t = tables[0]
    assert t.orientation == orientation
    got = [(c.name, c.input, c.entries) for c in t.configs]
    want = [(c.name, c.input, c.entries) for c in st.configs]
    assert got == want


@pytest.mark.slow
def test_synthetic_sweep():
    """40 tables per orientation and rule style; every one must parse back exactly."""
    failures = []
    for orientation in ("columns", "rows", "stages"):
        for rules in ("grid", "booktabs", "none"):
            for seed in range(100, 140):
                st = make_table(seed, orientation, rules)
                tables = find_arch_tables(fitz.open("pdf", st.pdf)[0])
                got = [(c.name, c.input, c.entries) for c in tables[0].configs] if tables else None
                want = [(c.name, c.input, c.entries) for c in st.configs]
                if len(tables) != 1 or tables[0].orientation != orientation or got != want:
                    failures.append((orientation, rules, seed))
    assert failures == []
